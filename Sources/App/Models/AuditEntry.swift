import Fluent
import Vapor

/// One stored change to an application: who, when, which fields, version before → after (SPEC §3.1).
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_log"

    @ID(key: .id) var id: UUID?
    @Field(key: "application_id") var applicationID: String
    @OptionalField(key: "actor_id") var actorID: UUID?
    /// The actor's username at the time, so the log reads the same after renames.
    @Field(key: "actor_name") var actorName: String
    @Field(key: "action") var action: String
    /// Comma-separated field names.
    @Field(key: "fields") var fields: String
    @Field(key: "version_before") var versionBefore: Int
    @Field(key: "version_after") var versionAfter: Int
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(applicationID: String, actor: User?, action: String, fields: [String], versionBefore: Int, versionAfter: Int, at date: Date) {
        self.applicationID = applicationID
        self.actorID = actor?.id
        self.actorName = actor?.username ?? "system"
        self.action = action
        self.fields = fields.joined(separator: ",")
        self.versionBefore = versionBefore
        self.versionAfter = versionAfter
        self.createdAt = date
    }
}
