import OAuth
import Vapor

/// The authorization endpoint's first read, made once: the client its parameters name and this
/// browser's session, in one statement (`FluentOAuthStore.client(id:withSession:now:)`). The
/// consent form's CSRF check, which needs the session first, makes it through the same call
/// (routes.swift), and the page and the form then pay one round trip each for both.
extension Request {
    private struct AuthorizationClientKey: StorageKey { typealias Value = OAuthClient }

    /// Reads the client named by `parameters` and the session together, unless the session was
    /// read already. An unknown client leaves both unread (the session is read on its own then).
    func readAuthorizationClientWithSession(_ parameters: [String: String]) async throws {
        guard !sessions.isLoaded, let id = parameters["client_id"], !id.isEmpty, id.count <= 64,
              let read = try await oauthStore().client(id: id, withSession: sessions.cookieIDHash, now: now)
        else { return }
        storage[AuthorizationClientKey.self] = read.client
        try await sessions.adopt(read.session)
    }

    /// The OAuth store of the authorization endpoint, which knows the client read with the session.
    func authorizationStore() -> FluentOAuthStore {
        var store = oauthStore()
        store.known = storage[AuthorizationClientKey.self]
        return store
    }
}
