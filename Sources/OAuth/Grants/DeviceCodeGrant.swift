import Foundation

/// RFC 8628 §3.4–§3.5: a device polls the token endpoint with its `device_code` until the user
/// has decided on `/device`; once approved it gets the tokens, once (SPEC §9).
struct DeviceCodeGrant {
    let store: any OAuthStore
    let now: Date

    func exchange(deviceCode: String, client: OAuthClient) async throws -> Issued {
        // RFC 6749 §5.2 `unauthorized_client`: only applications that opted in (SPEC §9).
        try DeviceAuthorization.allow(client)
        // One conditional write records the poll and grows the interval of a device polling too
        // fast: of concurrent polls, one is answered as the poll, the others as too fast.
        guard let poll = try await store.pollDeviceCode(deviceCode, clientID: client.id,
                                                        slowDownBy: DeviceAuthorization.slowDownIncrement, now: now)
        else {
            // RFC 8628 §3.5 refers to RFC 6749 §5.2: an unknown code, or another client's.
            throw OAuthError(.invalidGrant, "The device code is invalid.")
        }
        if poll.status == .used { throw Self.alreadyUsed }
        // RFC 8628 §3.5 `expired_token`: "The device_code has expired"; the device may start over.
        guard poll.expiresAt > now else {
            throw OAuthError(.expiredToken, "The device code has expired. Start a new device authorization.")
        }
        switch poll.status {
        case .pending where poll.slowedDown:
            // RFC 8628 §3.5 `slow_down`: "the interval MUST be increased by 5 seconds for this and
            // all subsequent requests".
            throw OAuthError(.slowDown, "Polling too fast: wait at least \(poll.interval) seconds between requests.")
        case .pending:
            // RFC 8628 §3.5 `authorization_pending`: the user has not decided yet.
            throw OAuthError(.authorizationPending, "The user has not yet approved the request.")
        case .denied:
            // RFC 8628 §3.5 `access_denied`: "The authorization request was denied."
            throw OAuthError(.accessDenied, "The user denied the request.")
        case .used:
            throw Self.alreadyUsed
        case .approved(let record):
            let grant = Grant(clientID: client.id, userID: record.userID, authorizationID: record.authorizationID, scopes: record.scopes,
                              grantType: TokenRequest.deviceCodeGrantType, openID: record.openID, profile: record.profile)
            // The code is used up and the tokens stored in one write: of concurrent polls of an
            // approved code, one gets the tokens and the others find it used.
            guard let response = try await store.exchangeDeviceCode(deviceCode, for: grant, refreshable: client.mayRefresh, now: now) else {
                // The user revoked the application between this poll and the exchange: RFC 8628
                // §3.5 `access_denied`, as the next poll would say, not a use of the code.
                if try await store.deviceCodeWasDenied(deviceCode, clientID: client.id) {
                    throw OAuthError(.accessDenied, "The user revoked the authorization.")
                }
                throw Self.alreadyUsed
            }
            return Issued(response: response, grant: grant)
        }
    }

    /// SPEC §9: a device code works once (RFC 6749 §5.2 `invalid_grant`).
    static let alreadyUsed = OAuthError(.invalidGrant, "The device code has already been used.")
}
