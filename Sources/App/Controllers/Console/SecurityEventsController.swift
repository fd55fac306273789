import Vapor

/// `GET /admin/security-events` (SPEC §7): the security event log for administrators, newest
/// first, 50 a page. Anyone else gets the not-found page.
struct SecurityEventsController {
    struct Page: Encodable {
        let layout: LayoutContext
        let events: [SecurityEvents.Event]
        let olderURL: String?
    }

    func index(req: Request) async throws -> Response {
        guard try await req.requireUser().isAdmin else { throw Abort(.notFound) }
        let before = req.query[String.self, at: "before"].flatMap { Int($0) }
        let events = try await req.securityEvents.page(limit: 50, before: before)
        let older = events.count == 50 ? events.last.map { "/admin/security-events?before=\($0.id)" } : nil
        let page = Page(layout: try await req.layout("Security events", wide: true), events: events, olderURL: older)
        return try await req.page("admin/security-events", page)
    }
}
