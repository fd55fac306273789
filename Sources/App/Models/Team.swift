import Fluent
import Vapor

/// A team as applications name it (SPEC §13: the Application object's `team`). Read-only here:
/// `TeamStore` writes the table.
final class Team: Model, @unchecked Sendable {
    static let schema = "teams"

    @ID(custom: .id, generatedBy: .user) var id: String?
    @Field(key: "name") var name: String

    init() {}
}
