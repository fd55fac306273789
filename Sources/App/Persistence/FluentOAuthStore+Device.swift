import Fluent
import OAuth
import Vapor

/// The device grant's storage (RFC 8628): `DeviceCodeStore` holds the SQL.
extension FluentOAuthStore {
    var devices: DeviceCodeStore { DeviceCodeStore(database: database) }

    func createDeviceCode(_ code: NewDeviceCode) async throws -> Bool {
        try await devices.insert(code)
    }

    func pollDeviceCode(_ deviceCode: String, clientID: String, slowDownBy: Int, now: Date) async throws -> DevicePoll? {
        try await devices.poll(deviceCodeHash: Secrets.sha256Hex(deviceCode), clientID: clientID, slowDownBy: slowDownBy, now: now)
    }

    /// As `exchangeCode`: the keys are loaded first, the family written in one atomic write,
    /// then the access token signed.
    func exchangeDeviceCode(_ deviceCode: String, for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse? {
        try await tokens.loadKeysIfStale()
        let family = UUID()
        let refresh = refreshable ? TokenFamilyStore.NewRefreshToken(idleTTL: refreshIdleTTL, now: now) : nil
        guard try await devices.exchange(deviceCodeHash: Secrets.sha256Hex(deviceCode), clientID: grant.clientID, family: family,
                                         refresh: refresh, now: now)
        else { return nil }
        return try await signed(grant, family: family, refreshToken: refresh?.token, now: now)
    }

    func deviceCodeWasDenied(_ deviceCode: String, clientID: String) async throws -> Bool {
        try await devices.wasDenied(deviceCodeHash: Secrets.sha256Hex(deviceCode), clientID: clientID)
    }
}
