import Foundation

/// The Date header (RFC 5322 §3.3): `Thu, 01 Jan 2026 12:00:00 +0000`, always in UTC so the text
/// depends on the instant only, not on the server's time zone or locale.
enum RFC5322Date {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ date: Date) -> String {
        let parts = utcCalendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let weekday = weekdays[(parts.weekday ?? 1) - 1]
        let month = months[(parts.month ?? 1) - 1]
        return "\(weekday), \(twoDigits(parts.day)) \(month) \(parts.year ?? 1970) "
            + "\(twoDigits(parts.hour)):\(twoDigits(parts.minute)):\(twoDigits(parts.second)) +0000"
    }

    /// `20260101T120000Z`: sortable and safe in a file name (the outbox transport's).
    static func compactTimestamp(_ date: Date) -> String {
        let parts = utcCalendar.dateComponents([.day, .month, .year, .hour, .minute, .second], from: date)
        return "\(parts.year ?? 1970)\(twoDigits(parts.month))\(twoDigits(parts.day))T"
            + "\(twoDigits(parts.hour))\(twoDigits(parts.minute))\(twoDigits(parts.second))Z"
    }

    private static var utcCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    private static func twoDigits(_ value: Int?) -> String {
        let value = value ?? 0
        return value < 10 ? "0\(value)" : "\(value)"
    }
}
