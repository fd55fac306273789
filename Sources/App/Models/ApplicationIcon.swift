import Fluent
import Vapor

/// Icon bytes live in the database so every instance can serve them (SPEC §1, §3.1).
final class ApplicationIcon: Model, @unchecked Sendable {
    static let schema = "application_icons"

    @ID(key: .id) var id: UUID?
    @Parent(key: "application_id") var application: ClientApplication
    @Field(key: "hash") var hash: String
    @Field(key: "content_type") var contentType: String
    @Field(key: "data") var data: Data
    @Field(key: "width") var width: Int
    @Field(key: "height") var height: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(applicationID: String, image: IconInspector.Image) {
        self.$application.id = applicationID
        self.hash = image.hash
        self.contentType = image.contentType
        self.data = image.data
        self.width = image.width
        self.height = image.height
    }
}
