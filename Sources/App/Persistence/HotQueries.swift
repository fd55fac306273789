import FluentKit
import NIOConcurrencyHelpers
import Foundation
import PostgresKit
import SQLKit

/// One of the hottest statements, written once in PostgreSQL's `$1…$n` form. On PostgreSQL it
/// runs as a named prepared statement, parsed and planned once per connection: parsing, analysis
/// and planning were 41 % of PostgreSQL's CPU on the token endpoint (perf, scripts/bench). On
/// SQLite the same text runs as an ordinary query.
protocol HotQuery {
    /// `$n` placeholders only (never `$` in a literal); `$n` may repeat.
    static var sql: String { get }
}

/// A bound value of a hot query.
enum HotBind: Sendable {
    case text(String)
    case uuid(UUID)
    case date(Date)
    case double(Double)
    case bool(Bool)
    case int(Int)
    case null

    static func text(_ value: String?) -> HotBind { value.map(HotBind.text) ?? .null }
    static func uuid(_ value: UUID?) -> HotBind { value.map(HotBind.uuid) ?? .null }
    static func date(_ value: Date?) -> HotBind { value.map(HotBind.date) ?? .null }

    fileprivate func append(to bindings: inout PostgresBindings) throws {
        switch self {
        case .text(let value): bindings.append(value)
        case .uuid(let value): bindings.append(value)
        case .date(let value): bindings.append(value)
        case .double(let value): bindings.append(value)
        case .bool(let value): bindings.append(value)
        case .int(let value): bindings.append(value)
        case .null: bindings.appendNull()
        }
    }

    fileprivate var sqlValue: any Encodable & Sendable {
        switch self {
        case .text(let value): value
        case .uuid(let value): value
        case .date(let value): value
        case .double(let value): value
        case .bool(let value): value
        case .int(let value): value
        case .null: String?.none
        }
    }
}

private struct PreparedHotQuery<Query: HotQuery>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    /// Short: PostgreSQL cuts names at 63 bytes, and the default (the full generic type name)
    /// made different statements collide there ("prepared statement already exists").
    static var name: String { PreparedStatementNames.shared.name(of: Query.self) }
    static var sql: String { Query.sql }
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension Database {
    /// The rows of `query` with `binds` ($1 is `binds[0]`).
    func rows<Query: HotQuery>(_ query: Query.Type, _ binds: [HotBind]) async throws -> [any SQLRow] {
        if let postgres = self as? any PostgresDatabase {
            var bindings = PostgresBindings(capacity: binds.count)
            for bind in binds { try bind.append(to: &bindings) }
            let statement = PreparedHotQuery<Query>(bindings: bindings)
            let logger = self.logger
            // SQLKit's line for every other statement (sqlLogLevel is trace), so one count covers all.
            logger.trace("Executing query", metadata: ["sql": .string(Query.sql)])
            return try await postgres.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    var rows: [any SQLRow] = []
                    for try await row in try await connection.execute(statement, logger: logger) { rows.append(row.sql()) }
                    return rows
                }
            }.get()
        }
        return try await (self as! any SQLDatabase).raw(Self.queryString(Query.sql, binds)).all()
    }

    /// The `$n` text as an SQLKit query with binds, for the other dialects.
    private static func queryString(_ sql: String, _ binds: [HotBind]) -> SQLQueryString {
        var query = SQLQueryString("")
        var rest = Substring(sql)
        while let dollar = rest.firstIndex(of: "$") {
            query.appendLiteral(String(rest[..<dollar]))
            let digits = rest[rest.index(after: dollar)...].prefix(while: \.isASCII).prefix(while: \.isNumber)
            guard let number = Int(digits), binds.indices.contains(number - 1) else {
                preconditionFailure("hot query placeholder $\(digits) has no bind")
            }
            // NULL as a literal: a bound nil has a type (text), which PostgreSQL will not put in
            // a timestamp or uuid column.
            if case .null = binds[number - 1] { query.appendLiteral("NULL") } else { query.appendInterpolation(bind: binds[number - 1].sqlValue) }
            rest = rest[digits.endIndex...]
        }
        query.appendLiteral(String(rest))
        return query
    }
}

/// `String(describing:)` of a type demangles its metadata: 1.4 % of the code flow's CPU when
/// PostgresNIO asked for the name on every execute (perf), so each name is made once.
private final class PreparedStatementNames: Sendable {
    static let shared = PreparedStatementNames()
    private let names = NIOLockedValueBox<[ObjectIdentifier: String]>([:])

    func name(of query: Any.Type) -> String {
        names.withLockedValue { names in
            if let known = names[ObjectIdentifier(query)] { return known }
            let made = "gatehouse_" + String(describing: query)
            names[ObjectIdentifier(query)] = made
            return made
        }
    }
}
