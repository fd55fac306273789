import Vapor

/// Signing other sessions out from `/settings/security` (SPEC §12).
struct SessionsController {
    /// `POST /settings/security/sessions/{id}/revoke`: one session, named as the list names it.
    func revoke(req: Request) async throws -> Response {
        let userID = try await req.requireUser().requireID()
        let listID = req.parameters.get("session_id") ?? ""
        let store = SessionStore(database: req.db)
        let current = try await req.sessions.current()?.id
        if let record = try await store.list(of: userID, now: req.now).first(where: { BrowserSessions.listID($0.id ?? "") == listID }) {
            if record.id == current { return try await signOutHere(req) }
            try await store.delete(record)
            await req.recordSecurityEvent(.sessionRevoked, userID: userID)
        }
        req.sessionState.outgoingFlash = .sessionEnded
        return req.redirectAfterPost(to: "/settings/security#sessions")
    }

    /// `POST /settings/security/sessions/revoke-others`.
    func revokeOthers(req: Request) async throws -> Response {
        let userID = try await req.requireUser().requireID()
        try await SessionStore(database: req.db).deleteAll(of: userID, except: try await req.sessions.current()?.id)
        await req.recordSecurityEvent(.sessionRevoked, userID: userID)
        req.sessionState.outgoingFlash = .sessionsEnded
        return req.redirectAfterPost(to: "/settings/security#sessions")
    }

    private func signOutHere(_ req: Request) async throws -> Response {
        try await req.sessions.signOut()
        req.sessionState.outgoingFlash = .signedOut
        return req.redirectAfterPost(to: "/")
    }
}
