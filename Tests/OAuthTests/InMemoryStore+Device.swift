import Foundation
import OAuth

/// A device authorization as the in-memory store keeps it (RFC 8628).
struct DeviceEntry: Sendable {
    var code: NewDeviceCode
    var status: DevicePoll.Status = .pending
    var lastPolledAt: Date?
    var interval: Int
    var slowedDown = false
}

/// The device grant's storage, with the rules the database's conditional writes apply.
extension InMemoryStore {
    func createDeviceCode(_ code: NewDeviceCode) async throws -> Bool {
        guard !devices.values.contains(where: { $0.code.userCode == code.userCode }) else { return false }
        devices[code.deviceCode] = DeviceEntry(code: code, interval: code.interval)
        return true
    }

    func pollDeviceCode(_ deviceCode: String, clientID: String, slowDownBy: Int, now: Date) async throws -> DevicePoll? {
        guard var entry = devices[deviceCode], entry.code.clientID == clientID else { return nil }
        // The same rule as DeviceCodeStore's UPDATE: evaluated on the state before this poll.
        let tooFast = entry.status == .pending && entry.lastPolledAt.map { now.timeIntervalSince($0) < TimeInterval(entry.interval) } == true
        if tooFast { entry.interval += slowDownBy }
        entry.slowedDown = tooFast
        entry.lastPolledAt = now
        devices[deviceCode] = entry
        return DevicePoll(status: entry.status, expiresAt: entry.code.expiresAt, slowedDown: tooFast, interval: entry.interval)
    }

    func exchangeDeviceCode(_ deviceCode: String, for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse? {
        if revokeBeforeDeviceExchange {
            revokeBeforeDeviceExchange = false
            devices[deviceCode]?.status = .denied  // what the App's revocation does to an approved code
        }
        guard var entry = devices[deviceCode], case .approved = entry.status else { return nil }
        let response = try await issueTokens(for: grant, refreshable: refreshable, now: now)
        entry.status = .used
        devices[deviceCode] = entry
        return response
    }

    func deviceCodeWasDenied(_ deviceCode: String, clientID: String) async throws -> Bool {
        guard let entry = devices[deviceCode], entry.code.clientID == clientID, case .denied = entry.status else { return false }
        return true
    }

    // What `/device` does in the App (RFC 8628 §3.3), for the tests.

    func decideDevice(userCode: String, _ status: DevicePoll.Status) {
        guard let (deviceCode, entry) = devices.first(where: { $0.value.code.userCode == userCode }), entry.status == .pending else { return }
        devices[deviceCode]?.status = status
    }

    func device(userCode: String) -> DeviceEntry? { devices.values.first { $0.code.userCode == userCode } }
}
