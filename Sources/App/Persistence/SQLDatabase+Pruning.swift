import SQLKit

extension SQLDatabase {
    /// Deletes `table`'s rows matching `filter` and says how many: each store's `prune`.
    func deleteCounting(from table: String, _ filter: (SQLDeleteBuilder) -> SQLDeleteBuilder) async throws -> Int {
        try await filter(delete(from: table)).returning(SQLLiteral.numeric("1")).all().count
    }
}
