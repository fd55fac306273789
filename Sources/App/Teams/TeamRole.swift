/// A member's role in a team (SPEC §13), each including the one below it.
enum TeamRole: String, Codable, Sendable, CaseIterable, Comparable {
    case readOnly = "read_only"
    case developer
    case admin
    case owner

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    static func < (lhs: TeamRole, rhs: TeamRole) -> Bool { lhs.rank < rhs.rank }

    var label: String {
        switch self {
        case .readOnly: "Read-only"
        case .developer: "Developer"
        case .admin: "Admin"
        case .owner: "Owner"
        }
    }
}

/// What someone may do to an application or a team, and the least role it takes (SPEC §13).
/// The one table every console page and REST call consults (`ApplicationAccess`, `TeamAccess`).
enum TeamPermission: String, Sendable, CaseIterable {
    /// See the application and its settings, never a secret.
    case read
    /// Settings, redirect URIs, icons and bots.
    case edit
    /// Reset or reveal a secret, delete an application, create one in the team.
    case manageSecrets, deleteApplication, createApplication
    /// Invite and remove developers and read-only members.
    case manageMembers
    /// Manage admins, move applications in and out, rename and delete the team.
    case manageAdmins, transferApplications, manageTeam

    var leastRole: TeamRole {
        switch self {
        case .read: .readOnly
        case .edit: .developer
        case .manageSecrets, .deleteApplication, .createApplication, .manageMembers: .admin
        case .manageAdmins, .transferApplications, .manageTeam: .owner
        }
    }
}

extension TeamRole {
    func allows(_ permission: TeamPermission) -> Bool { self >= permission.leastRole }

    /// Whether this role may give or take `role` (SPEC §13: admins manage developers and
    /// read-only members; owners manage admins and owners).
    func manages(_ role: TeamRole) -> Bool {
        role >= .admin ? self == .owner : self >= .admin
    }
}
