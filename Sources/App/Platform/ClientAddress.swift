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

    /// The client's address for a request from `peer` carrying `forwardedFor` headers: walking
    /// from the right past our own proxies, the first hop that is not one of them. Hops that
    /// name no address (`unknown`, RFC 7239 §6.2's obfuscated identifiers, garbage) are skipped
    /// rather than ending the walk: ending it made every client count as the proxy, so one
    /// client's failures locked everyone out.
    func clientAddress(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "unknown" }
        guard trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.compactMap(Self.address(ofHop:))
        for hop in hops.reversed() where !trusts(hop) { return hop }
        return hops.first ?? peer
    }

    /// One hop's address, as load balancers write them: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
    /// `[2001:db8::1]`, `[2001:db8::1]:443`, optionally quoted or as RFC 7239 `for=`. nil for
    /// anything else.
    static func address(ofHop raw: Substring) -> String? {
        var hop = raw.trimmingCharacters(in: .whitespaces)
        if hop.lowercased().hasPrefix("for=") { hop.removeFirst(4) }
        hop = hop.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        if hop.hasPrefix("[") {
            guard let close = hop.firstIndex(of: "]") else { return nil }
            let rest = hop[hop.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            hop = String(hop[hop.index(after: hop.startIndex)..<close])
        } else if hop.filter({ $0 == ":" }).count == 1 {
            let parts = hop.split(separator: ":", omittingEmptySubsequences: false)
            guard parts[1].allSatisfy(\.isNumber) else { return nil }
            hop = String(parts[0])
        }
        return IPAddressBytes.parse(hop) == nil ? nil : hop
    }
}

/// What throttles count a client by. An IPv6 client counts by its /64: a host is normally given
/// a whole /64 (RFC 6177, RFC 7421), so counting each /128 gave one host unlimited guesses.
enum ThrottleAddress {
    static func key(_ address: String) -> String {
        guard let bytes = IPAddressBytes.parse(address), bytes.count == 16, !IPAddressBytes.isV4Mapped(bytes) else { return address }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
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

    /// `::ffff:a.b.c.d`: an IPv4 client seen through an IPv6 socket.
    static func isV4Mapped(_ bytes: [UInt8]) -> Bool {
        bytes.count == 16 && bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }
}

extension Request {
    /// The address throttles and security events name (SPEC §7 `TRUSTED_PROXIES`).
    var clientAddress: String {
        application.config.trustedProxies.clientAddress(peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor])
    }

    /// The client as throttles count it (`ThrottleAddress`).
    var throttleAddress: String { ThrottleAddress.key(clientAddress) }
}
