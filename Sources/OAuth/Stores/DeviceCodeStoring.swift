import Foundation

/// Device authorizations (`device_codes`, RFC 8628; `DeviceAuthorization.swift`,
/// `Grants/DeviceCodeGrant.swift`).
public protocol DeviceCodeStoring: Sendable {
    /// Stores a new device authorization, both codes hashed; false when the user code is taken.
    func createDeviceCode(_ code: NewDeviceCode) async throws -> Bool
    /// One poll of `clientID`'s device code as one conditional write (RFC 8628 §3.5): the poll
    /// time is recorded, and a pending code polled sooner than its interval after the previous
    /// poll has its interval grown by `slowDownBy` seconds. nil: no such code of this client.
    func pollDeviceCode(_ deviceCode: String, clientID: String, slowDownBy: Int, now: Date) async throws -> DevicePoll?
    /// Uses the approved device code up and issues its family and refresh token in one atomic
    /// write, as `exchangeCode`; nil when another request used it (or the user revoked it) first.
    func exchangeDeviceCode(_ deviceCode: String, for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse?
    /// Whether `clientID`'s device code is denied now, or its authorization revoked: after an
    /// exchange found it gone, this tells a revocation from another poll's use.
    func deviceCodeWasDenied(_ deviceCode: String, clientID: String) async throws -> Bool
}
