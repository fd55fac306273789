import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Vapor

/// `TRUSTED_PROXIES` (SPEC §7): the networks whose `X-Forwarded-For` is believed. Behind them,
/// the client is the rightmost address that is not one of them (each proxy appends the peer it
/// saw; anything to the left of our own proxies is the client's to write). Otherwise the
/// socket's peer counts and the header is ignored.
struct TrustedProxies: Sendable, Equatable {
    let networks: [Network]

    static let none = TrustedProxies(networks: [])

    struct Network: Sendable, Equatable {
        let address: [UInt8]
        let prefixLength: Int

        /// `10.0.0.0/8`, `fd00::/8`, or a single address.
        init?(_ text: Substring) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = IPAddressBytes.parse(String(parts[0])) else { return nil }
            let bits = address.count * 8
            let length = parts.count == 2 ? Int(parts[1]) : bits
            guard let length, (0...bits).contains(length) else { return nil }
            self.address = address
            prefixLength = length
        }

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            var remaining = prefixLength
            for (a, b) in zip(address, other) where remaining > 0 {
                let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
                guard a & mask == b & mask else { return false }
                remaining -= 8
            }
            return true
        }
    }

    /// Comma-separated CIDRs; nil for anything that is not one.
    static func parse(_ raw: String) -> TrustedProxies? {
        var networks: [Network] = []
        for item in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let network = Network(Substring(item)) else { return nil }
            networks.append(network)
        }
        return TrustedProxies(networks: networks)
    }

    func trusts(_ ip: String) -> Bool {
        guard !networks.isEmpty, let bytes = IPAddressBytes.parse(ip) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address for a request from `peer` carrying `forwardedFor` headers.
    func clientAddress(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "unknown" }
        guard trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard IPAddressBytes.parse(hop) != nil else { return peer }  // garbage: believe nothing further
            if !trusts(hop) { return hop }
        }
        return hops.first ?? peer
    }
}

/// IPv4 and IPv6 text to bytes (inet_pton), so networks compare by value, not spelling.
enum IPAddressBytes {
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

extension Request {
    /// The address throttles and security events name (SPEC §7 `TRUSTED_PROXIES`).
    var clientAddress: String {
        application.config.trustedProxies.clientAddress(peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor])
    }
}
