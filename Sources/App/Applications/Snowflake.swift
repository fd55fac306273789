import Foundation

/// Application ids are snowflakes, as Discord and Fluxer use: milliseconds since 2024-01-01 in
/// the high bits and 22 random bits below, written in decimal. They sort by creation time, so
/// `?after=<id>` pagination needs no extra column.
enum Snowflake {
    static let epochMilliseconds: Int64 = 1_704_067_200_000

    static func make(at date: Date) -> String {
        let ms = Int64(date.timeIntervalSince1970 * 1000) - epochMilliseconds
        return String(ms << 22 | Int64.random(in: 0..<(1 << 22)))
    }

    /// Creation order. Snowflakes of one width sort as strings; comparing the length first
    /// keeps it numeric across widths.
    static func precedes(_ a: String, _ b: String) -> Bool { (a.count, a) < (b.count, b) }
}
