//! Table-driven and property tests of the access decision.
use super::*;
use proptest::prelude::*;

const ME: i64 = 7;
const OTHER_USER: i64 = 8;
const MY_PROJECT: i64 = 1;
const OTHER_PROJECT: i64 = 2;

/// Where the target sits relative to a subject holding one role in MY_PROJECT.
#[derive(Debug, Clone, Copy)]
enum Situation {
    MineInMyProject,
    OthersInMyProject,
    InAnotherProject,
    PortalWide,
}

const SITUATIONS: [Situation; 4] = [Situation::MineInMyProject, Situation::OthersInMyProject, Situation::InAnotherProject, Situation::PortalWide];

fn target(kind: Kind, s: Situation) -> Target {
    match s {
        Situation::MineInMyProject => Target { kind, project: Some(MY_PROJECT), owner: Some(ME) },
        Situation::OthersInMyProject => Target { kind, project: Some(MY_PROJECT), owner: Some(OTHER_USER) },
        Situation::InAnotherProject => Target { kind, project: Some(OTHER_PROJECT), owner: Some(OTHER_USER) },
        Situation::PortalWide => Target { kind, project: None, owner: None },
    }
}

fn member_of_my_project(role: BuiltinRole) -> Subject {
    Subject { user_id: ME, global_roles: vec![], memberships: vec![(MY_PROJECT, role.role())] }
}

/// Expected grants of a project role: (kind, verbs on my own objects, verbs on others' objects
/// in my project). Nothing outside the project, nothing portal-wide.
fn expected(role: BuiltinRole) -> &'static [(Kind, &'static str, &'static str)] {
    match role {
        BuiltinRole::Administrator => &[],
        BuiltinRole::ProjectOwner => &[
            (Kind::Cluster, "R", "R"),
            (Kind::Project, "RU", "RU"),
            (Kind::Workload, "CRUD", "CRUD"),
            (Kind::Deployment, "CRUD", "CRUD"),
            (Kind::Pod, "CRUD", "CRUD"),
            (Kind::Namespace, "R", "R"),
            (Kind::Schedule, "CRUD", "CRUD"),
            (Kind::Price, "R", "R"),
            (Kind::CostReport, "R", "R"),
            (Kind::Budget, "CRUD", "CRUD"),
            (Kind::User, "R", "R"),
        ],
        BuiltinRole::Developer => &[
            (Kind::Cluster, "R", "R"),
            (Kind::Project, "R", "R"),
            (Kind::Workload, "CRUD", "R"),
            (Kind::Deployment, "CRUD", "R"),
            (Kind::Pod, "RD", "R"),
            (Kind::Namespace, "R", "R"),
            (Kind::Schedule, "CRUD", "R"),
            (Kind::Price, "R", "R"),
            (Kind::CostReport, "R", "R"),
            (Kind::Budget, "R", "R"),
            (Kind::User, "R", "R"),
        ],
        BuiltinRole::Viewer => &[
            (Kind::Cluster, "R", "R"),
            (Kind::Project, "R", "R"),
            (Kind::Workload, "R", "R"),
            (Kind::Deployment, "R", "R"),
            (Kind::Pod, "R", "R"),
            (Kind::Namespace, "R", "R"),
            (Kind::Schedule, "R", "R"),
            (Kind::CostReport, "R", "R"),
            (Kind::Budget, "R", "R"),
        ],
    }
}

fn letter(verb: Verb) -> char {
    match verb {
        Verb::Create => 'C',
        Verb::Read => 'R',
        Verb::Update => 'U',
        Verb::Delete => 'D',
    }
}

#[test]
fn every_project_role_verb_kind_and_situation_is_decided_as_the_table_says() {
    for role in [BuiltinRole::ProjectOwner, BuiltinRole::Developer, BuiltinRole::Viewer] {
        let subject = member_of_my_project(role);
        for kind in Kind::ALL {
            let row = expected(role).iter().find(|(k, _, _)| *k == kind);
            for verb in Verb::ALL {
                for situation in SITUATIONS {
                    let want = match (row, situation) {
                        (Some((_, own, _)), Situation::MineInMyProject) => own.contains(letter(verb)),
                        (Some((_, _, others)), Situation::OthersInMyProject) => others.contains(letter(verb)),
                        _ => false,
                    };
                    let got = allows(&subject, verb, &target(kind, situation));
                    assert_eq!(got.is_allowed(), want, "{role:?} {verb:?} {kind:?} {situation:?}: {got:?}");
                }
            }
        }
    }
}

#[test]
fn an_administrator_may_do_everything_everywhere() {
    let admin = Subject { user_id: ME, global_roles: vec![BuiltinRole::Administrator.role()], memberships: vec![] };
    for kind in Kind::ALL {
        for verb in Verb::ALL {
            for situation in SITUATIONS {
                assert_eq!(allows(&admin, verb, &target(kind, situation)), Decision::Allow, "{verb:?} {kind:?} {situation:?}");
            }
        }
    }
}

#[test]
fn denials_say_whether_the_permission_is_missing_or_out_of_reach() {
    let bob = member_of_my_project(BuiltinRole::Developer);
    assert_eq!(allows(&bob, Verb::Delete, &target(Kind::Price, Situation::PortalWide)), Decision::DenyNoPermission);
    assert_eq!(allows(&bob, Verb::Delete, &target(Kind::Workload, Situation::OthersInMyProject)), Decision::DenyOutOfScope);
    assert_eq!(allows(&bob, Verb::Read, &target(Kind::Workload, Situation::InAnotherProject)), Decision::DenyOutOfScope);
}

#[test]
fn a_portal_wide_role_with_project_scope_reaches_every_project_the_subject_belongs_to() {
    let auditor = Role { name: "Auditor".into(), permissions: vec![Permission { kind: Kind::CostReport, verb: Verb::Read, scope: Scope::Project }] };
    let subject = Subject { user_id: ME, global_roles: vec![auditor], memberships: vec![(MY_PROJECT, BuiltinRole::Viewer.role())] };
    let report = |project| Target { kind: Kind::CostReport, project: Some(project), owner: None };
    assert!(allows(&subject, Verb::Read, &report(MY_PROJECT)).is_allowed());
    assert_eq!(allows(&subject, Verb::Read, &report(OTHER_PROJECT)), Decision::DenyOutOfScope);
}

#[test]
fn a_portal_wide_developer_creates_only_in_projects_it_belongs_to() {
    // A group mapping without a project grants Developer portal-wide: its "own" scope must
    // not reach another project just because the caller would own what it creates there.
    let subject = Subject { user_id: ME, global_roles: vec![BuiltinRole::Developer.role()], memberships: vec![(MY_PROJECT, BuiltinRole::Viewer.role())] };
    let mine = |project| Target { kind: Kind::Workload, project: Some(project), owner: Some(ME) };
    assert!(allows(&subject, Verb::Create, &mine(MY_PROJECT)).is_allowed());
    assert_eq!(allows(&subject, Verb::Create, &mine(OTHER_PROJECT)), Decision::DenyOutOfScope);
    assert_eq!(allows(&subject, Verb::Update, &mine(OTHER_PROJECT)), Decision::DenyOutOfScope);
    let nowhere = Subject { user_id: ME, global_roles: vec![BuiltinRole::Developer.role()], memberships: vec![] };
    assert!(!allows(&nowhere, Verb::Create, &mine(MY_PROJECT)).is_allowed());
}

fn any_kind() -> impl Strategy<Value = Kind> {
    (0..Kind::ALL.len()).prop_map(|i| Kind::ALL[i])
}
fn any_verb() -> impl Strategy<Value = Verb> {
    (0..Verb::ALL.len()).prop_map(|i| Verb::ALL[i])
}
fn any_scope() -> impl Strategy<Value = Scope> {
    prop_oneof![Just(Scope::Own), Just(Scope::Project), Just(Scope::All)]
}
fn any_permission() -> impl Strategy<Value = Permission> {
    (any_kind(), any_verb(), any_scope()).prop_map(|(kind, verb, scope)| Permission { kind, verb, scope })
}
fn any_target() -> impl Strategy<Value = Target> {
    (any_kind(), proptest::option::of(1i64..4), proptest::option::of(1i64..10)).prop_map(|(kind, project, owner)| Target { kind, project, owner })
}

proptest! {
    #[test]
    fn a_subject_without_roles_is_always_denied(user in 1i64..10, verb in any_verb(), t in any_target()) {
        let nobody = Subject { user_id: user, global_roles: vec![], memberships: vec![] };
        prop_assert_eq!(allows(&nobody, verb, &t), Decision::DenyNoPermission);
    }

    #[test]
    fn own_scope_never_grants_another_users_object(
        kinds in proptest::collection::vec((any_kind(), any_verb()), 0..20),
        global in any::<bool>(),
        verb in any_verb(),
        t in any_target(),
    ) {
        prop_assume!(t.owner != Some(ME));
        let role = Role {
            name: "own-only".into(),
            permissions: kinds.into_iter().map(|(kind, verb)| Permission { kind, verb, scope: Scope::Own }).collect(),
        };
        let subject = if global {
            Subject { user_id: ME, global_roles: vec![role], memberships: vec![] }
        } else {
            Subject { user_id: ME, global_roles: vec![], memberships: vec![(MY_PROJECT, role)] }
        };
        prop_assert!(!allows(&subject, verb, &t).is_allowed());
    }

    #[test]
    fn a_project_role_never_reaches_outside_its_project(
        perms in proptest::collection::vec(any_permission(), 0..30),
        verb in any_verb(),
        t in any_target(),
    ) {
        prop_assume!(t.project != Some(MY_PROJECT));
        let subject = Subject { user_id: ME, global_roles: vec![], memberships: vec![(MY_PROJECT, Role { name: "r".into(), permissions: perms })] };
        prop_assert!(!allows(&subject, verb, &t).is_allowed());
    }
}
