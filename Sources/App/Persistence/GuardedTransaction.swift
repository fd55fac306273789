import FluentPostgresDriver

extension Database {
    /// `transaction`, hardened for PostgreSQL outages. When the server goes away mid-transaction
    /// (a fast shutdown's `57P01`), PostgresNIO can leave a statement sent after the failure —
    /// typically Fluent's ROLLBACK — unanswered for good, and the request would hang (seen in
    /// scripts/fault_test.py). So after an outage error no ROLLBACK is sent: the connection is
    /// closed instead, and the server rolls the transaction back when the session ends. Other
    /// errors roll back as usual.
    ///
    /// On SQLite the write lock is taken first (`SQLiteDefaults.lockForWriting`).
    ///
    /// Past the request's deadline (`RequestDeadline`: the client has been answered 503) the
    /// transaction rolls back instead of committing, so the client's view stays true.
    func guardedTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        // Read here: the pool may run the body below outside this task.
        let deadline = RequestDeadline.current
        guard !inTransaction, self is any PostgresDatabase else {
            let sqlite = !inTransaction && !(self is any PostgresDatabase)
            return try await transaction { tx in
                if sqlite { try await SQLiteDefaults.lockForWriting(tx) }
                let result = try await body(tx)
                try RequestDeadline.check(deadline)
                return result
            }
        }
        // Fluent's `withConnection` scopes a database to one connection and marks it as in a
        // transaction, so nested `transaction` calls in `body` join this one.
        return try await withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                let sql = connection as! any SQLDatabase
                try await sql.raw("BEGIN").run()
                do {
                    let result = try await body(connection)
                    try RequestDeadline.check(deadline)
                    try await sql.raw("COMMIT").run()
                    return result
                } catch where DatabaseOutage.isOutage(error) {
                    _ = try? await (connection as! any PostgresDatabase).withConnection { $0.close() }.get()
                    throw error
                } catch {
                    try await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
        }.get()
    }
}
