//! A member's role on a site, and the roles an approval may grant.

/// What a member may do on a site: the primary (exactly one) and secondary members (at most
/// four) manage access; users (unlimited) manage nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Primary,
    Secondary,
    User,
}

/// The roles an approved nomination can grant: the primary comes only from the passcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GrantRole {
    #[default]
    User,
    Secondary,
}

/// Why a text is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a role is one of: {allowed}")]
pub struct RoleError {
    allowed: &'static str,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
            Role::User => "user",
        }
    }

    pub fn parse(input: &str) -> Result<Role, RoleError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "primary" => Ok(Role::Primary),
            "secondary" => Ok(Role::Secondary),
            "user" => Ok(Role::User),
            _ => Err(RoleError {
                allowed: "primary, secondary, user",
            }),
        }
    }

    /// Whether members of this role may decide nominations for their site.
    pub fn manages(self) -> bool {
        matches!(self, Role::Primary | Role::Secondary)
    }
}

impl GrantRole {
    pub fn as_str(self) -> &'static str {
        Role::from(self).as_str()
    }

    pub fn parse(input: &str) -> Result<GrantRole, RoleError> {
        match Role::parse(input) {
            Ok(Role::User) => Ok(GrantRole::User),
            Ok(Role::Secondary) => Ok(GrantRole::Secondary),
            _ => Err(RoleError {
                allowed: "user, secondary",
            }),
        }
    }
}

impl From<GrantRole> for Role {
    fn from(role: GrantRole) -> Role {
        match role {
            GrantRole::User => Role::User,
            GrantRole::Secondary => Role::Secondary,
        }
    }
}

text_value!(Role, RoleError);
text_value!(GrantRole, RoleError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [Role::Primary, Role::Secondary, Role::User] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
    }

    #[test]
    fn an_approval_cannot_grant_primary() {
        assert!(GrantRole::parse("primary").is_err());
        assert_eq!(GrantRole::parse("Secondary"), Ok(GrantRole::Secondary));
    }
}
