//! Projects, the tenancy boundary: administrators create, archive and delete them, open
//! clusters to them and grant the highest priority they may use; owners add and remove
//! members. Each use-case takes the caller and runs guard → validation → records → audit.
use crate::cache::Topic;
use crate::entity::{project, project_cluster, project_member, user, workload, workload_deployment};
use crate::{AuditLog, ClusterDirectory, Database, PeopleDirectory, PeopleError, Refusal, RequestAccess};
use chrono::Utc;
use flotilla_domain::schedule::Priority;
use flotilla_domain::{BuiltinRole, Dns1123Label, Kind, NewProject, ProjectChange, ProjectCluster, ProjectSummary, Target, Verb};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The guard said no; `what` names the object in words.
    #[error("may not {} {what}", verb.label())]
    Refused { refusal: Refusal, verb: Verb, what: &'static str },
    /// No such project, or one the caller may not see (the same words for both).
    #[error("this project does not exist")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read or write projects: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    People(#[from] PeopleError),
}

/// Namespaces Kubernetes and cluster add-ons own: never a project's.
const RESERVED: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

#[derive(Clone, Debug)]
pub struct Projects {
    db: Database,
    people: PeopleDirectory,
    clusters: ClusterDirectory,
    audit: AuditLog,
}

fn project_target(id: Option<i64>) -> Target {
    Target { kind: Kind::Project, project: id, owner: None }
}

impl Projects {
    pub fn new(db: Database, people: PeopleDirectory, clusters: ClusterDirectory, audit: AuditLog) -> Self {
        Self { db, people, clusters, audit }
    }

    async fn guard(&self, access: &RequestAccess, verb: Verb, id: Option<i64>, action: &str, what: &'static str) -> Result<(), ProjectError> {
        access.authorize(&self.audit, verb, project_target(id), action, what).await.map(|_| ()).map_err(|refusal| ProjectError::Refused { refusal, verb, what })
    }

    async fn load(&self, id: i64) -> Result<ProjectSummary, ProjectError> {
        self.people.project(id).await?.ok_or(ProjectError::NotFound)
    }

    /// The project, if the caller may read it ("not found" otherwise, as for one that does not exist).
    pub async fn readable(&self, access: &RequestAccess, id: i64) -> Result<ProjectSummary, ProjectError> {
        match self.guard(access, Verb::Read, Some(id), "project.read", "this project").await {
            Err(ProjectError::Refused { refusal: Refusal::Forbidden { .. }, .. }) => return Err(ProjectError::NotFound),
            other => other?,
        }
        self.people.project(id).await?.ok_or(ProjectError::NotFound)
    }

    /// Creates a project (administrators): its name is its namespace on every cluster opened to it.
    pub async fn create(&self, access: &RequestAccess, new: &NewProject) -> Result<ProjectSummary, ProjectError> {
        self.guard(access, Verb::Create, None, "project.create", "projects").await?;
        let name = Dns1123Label::parse(new.name.trim())
            .map_err(|e| ProjectError::Invalid(format!("The project name {e}; use lower-case letters, digits and '-' (it becomes the namespace on each cluster).")))?;
        if RESERVED.contains(&name.as_str()) || name.as_str().starts_with("kube-") {
            return Err(ProjectError::Invalid(format!("{name} is a namespace Kubernetes keeps for itself; choose another project name.")));
        }
        if self.people.project_named(name.as_str()).await?.is_some() {
            return Err(ProjectError::Invalid(format!("A project named {name} already exists; choose another name.")));
        }
        let display = new.display_name.trim();
        if display.chars().count() > 80 {
            return Err(ProjectError::Invalid("A project's display name has at most 80 characters.".into()));
        }
        let owner =
            match new.owner_email.trim() {
                "" => None,
                email => Some(user::Entity::find().filter(user::Column::Email.eq(email)).one(self.db.conn()).await?.ok_or_else(|| {
                    ProjectError::Invalid(format!("No user has the e-mail {email}; they must sign in once (or be created with `flotilla admin create`) before they can own a project."))
                })?),
            };
        let known = self.clusters.list().await.map_err(|e| ProjectError::Invalid(e.to_string()))?;
        for c in &new.clusters {
            if !known.iter().any(|k| k.id == *c) {
                return Err(ProjectError::Invalid(format!("Cluster {c} is not registered; choose clusters from the list.")));
            }
        }
        let txn = self.db.conn().begin().await?;
        let now = Utc::now();
        let row = project::ActiveModel {
            name: Set(name.to_string()),
            display_name: Set(if display.is_empty() { name.to_string() } else { display.to_owned() }),
            created_at: Set(now),
            max_priority: Set(new.max_priority.as_str().to_owned()),
            archived: Set(false),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for c in &new.clusters {
            project_cluster::ActiveModel { project_id: Set(row.id), cluster_id: Set(*c), opened_at: Set(now) }.insert(&txn).await?;
        }
        if let Some(u) = &owner {
            project_member::ActiveModel { project_id: Set(row.id), user_id: Set(u.id), role: Set(BuiltinRole::ProjectOwner.key().to_owned()), ..Default::default() }.insert(&txn).await?;
        }
        txn.commit().await?;
        self.db.changed(Topic::Access);
        let names: Vec<String> = known.iter().filter(|k| new.clusters.contains(&k.id)).map(|k| k.name.clone()).collect();
        let detail = format!(
            "owner {}; clusters {}; highest priority {}",
            owner.as_ref().map_or("none", |u| u.email.as_str()),
            if names.is_empty() { "none yet".to_owned() } else { names.join(", ") },
            new.max_priority.as_str()
        );
        access.record(&self.audit, "project.create", name.as_str(), &detail).await;
        self.people.project(row.id).await?.ok_or(ProjectError::NotFound)
    }

    /// Renames (owners and administrators), sets the highest priority or archives (administrators).
    pub async fn change(&self, access: &RequestAccess, id: i64, change: &ProjectChange) -> Result<ProjectSummary, ProjectError> {
        self.guard(access, Verb::Update, Some(id), "project.update", "this project").await?;
        let current = self.load(id).await?;
        if change.max_priority.is_some() || change.archived.is_some() {
            self.guard(access, Verb::Update, None, "project.administer", "a project's priority or archive state").await?;
        }
        let row = project::Entity::find_by_id(id).one(self.db.conn()).await?.ok_or(ProjectError::NotFound)?;
        let mut row: project::ActiveModel = row.into();
        let mut said = Vec::new();
        if let Some(d) = &change.display_name {
            let d = d.trim();
            if d.is_empty() || d.chars().count() > 80 {
                return Err(ProjectError::Invalid("A project's display name needs 1 to 80 characters.".into()));
            }
            row.display_name = Set(d.to_owned());
            said.push(format!("display name set to \"{d}\""));
        }
        if let Some(p) = change.max_priority {
            row.max_priority = Set(p.as_str().to_owned());
            said.push(format!("highest priority {}", p.as_str()));
        }
        if let Some(a) = change.archived {
            row.archived = Set(a);
            said.push(if a { "archived".to_owned() } else { "restored from the archive".to_owned() });
        }
        row.update(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        access.record(&self.audit, "project.update", &current.name, &said.join("; ")).await;
        self.people.project(id).await?.ok_or(ProjectError::NotFound)
    }

    /// Deletes a project (administrators). One that still has workloads is refused with what
    /// to do; with `remove_workloads` its workloads are removed from every cluster and the
    /// project is archived until they are gone (delete it again then).
    pub async fn delete(&self, access: &RequestAccess, id: i64, remove_workloads: bool) -> Result<Option<String>, ProjectError> {
        self.guard(access, Verb::Delete, Some(id), "project.delete", "this project").await?;
        let current = self.load(id).await?;
        let workloads = workload::Entity::find().filter(workload::Column::ProjectId.eq(id)).all(self.db.conn()).await?;
        let names: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
        if !names.is_empty() {
            if !remove_workloads {
                return Err(ProjectError::Invalid(format!(
                    "{} still has {} workload(s) ({}). Delete them first, or delete the project with its workloads (they are removed from every cluster).",
                    current.name,
                    names.len(),
                    names.join(", ")
                )));
            }
            let ids: Vec<i64> = workloads.iter().map(|w| w.id).collect();
            workload_deployment::Entity::update_many()
                .col_expr(workload_deployment::Column::Desired, sea_orm::sea_query::Expr::value("absent"))
                .col_expr(workload_deployment::Column::Phase, sea_orm::sea_query::Expr::value("removing"))
                .filter(workload_deployment::Column::WorkloadId.is_in(ids))
                .exec(self.db.conn())
                .await?;
            self.change(access, id, &ProjectChange { archived: Some(true), ..Default::default() }).await?;
            access.record(&self.audit, "project.delete", &current.name, &format!("removing its workloads first: {}", names.join(", "))).await;
            return Ok(Some(format!("{} is archived and its {} workload(s) are being removed from every cluster; delete the project again once they are gone.", current.name, names.len())));
        }
        self.people.delete_project(id).await?;
        access.record(&self.audit, "project.delete", &current.name, "").await;
        Ok(None)
    }

    /// The ids of the clusters opened to a project.
    pub async fn opened(&self, project_id: i64) -> Result<Vec<i64>, ProjectError> {
        let rows = project_cluster::Entity::find().filter(project_cluster::Column::ProjectId.eq(project_id)).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(|r| r.cluster_id).collect())
    }

    /// The clusters opened to a project, by name (who may read the project).
    pub async fn clusters(&self, access: &RequestAccess, id: i64) -> Result<Vec<ProjectCluster>, ProjectError> {
        self.readable(access, id).await?;
        let opened = self.opened(id).await?;
        let known = self.clusters.list().await.map_err(|e| ProjectError::Invalid(e.to_string()))?;
        Ok(known.into_iter().filter(|c| opened.contains(&c.id)).map(|c| ProjectCluster { cluster_id: c.id, cluster: c.name }).collect())
    }

    /// Opens exactly these clusters to the project (administrators). A cluster where the
    /// project still runs workloads cannot be closed: they would be stranded there.
    pub async fn set_clusters(&self, access: &RequestAccess, id: i64, clusters: &[i64]) -> Result<Vec<ProjectCluster>, ProjectError> {
        self.guard(access, Verb::Update, None, "project.clusters", "the clusters opened to projects").await?;
        let current = self.load(id).await?;
        let known = self.clusters.list().await.map_err(|e| ProjectError::Invalid(e.to_string()))?;
        if let Some(c) = clusters.iter().find(|c| !known.iter().any(|k| k.id == **c)) {
            return Err(ProjectError::Invalid(format!("Cluster {c} is not registered; choose clusters from the list.")));
        }
        let before = self.opened(id).await?;
        let closing: Vec<i64> = before.iter().copied().filter(|c| !clusters.contains(c)).collect();
        if !closing.is_empty() {
            let workloads = workload::Entity::find().filter(workload::Column::ProjectId.eq(id)).all(self.db.conn()).await?;
            let ids: Vec<i64> = workloads.iter().map(|w| w.id).collect();
            let running = workload_deployment::Entity::find()
                .filter(workload_deployment::Column::WorkloadId.is_in(ids))
                .filter(workload_deployment::Column::ClusterId.is_in(closing.clone()))
                .filter(workload_deployment::Column::Desired.ne("absent"))
                .all(self.db.conn())
                .await?;
            if let Some(d) = running.first() {
                let cluster = known.iter().find(|k| k.id == d.cluster_id).map_or("that cluster", |k| k.name.as_str());
                let names: Vec<&str> = workloads.iter().filter(|w| running.iter().any(|r| r.workload_id == w.id && r.cluster_id == d.cluster_id)).map(|w| w.name.as_str()).collect();
                return Err(ProjectError::Invalid(format!("{} still runs {} on {cluster}: move or delete them before closing the cluster to the project.", current.name, names.join(", "))));
            }
        }
        let txn = self.db.conn().begin().await?;
        project_cluster::Entity::delete_many().filter(project_cluster::Column::ProjectId.eq(id)).exec(&txn).await?;
        let now = Utc::now();
        for c in clusters {
            project_cluster::ActiveModel { project_id: Set(id), cluster_id: Set(*c), opened_at: Set(now) }.insert(&txn).await?;
        }
        txn.commit().await?;
        self.db.changed(Topic::Access);
        let names: Vec<String> = known.iter().filter(|k| clusters.contains(&k.id)).map(|k| k.name.clone()).collect();
        access.record(&self.audit, "project.clusters", &current.name, &format!("opened: {}", if names.is_empty() { "none".to_owned() } else { names.join(", ") })).await;
        self.clusters(access, id).await
    }

    /// Adds a member or changes their role (owners and administrators). Roles are the project
    /// roles (owner, developer, viewer) or a custom role's key.
    pub async fn set_member(&self, access: &RequestAccess, id: i64, email: &str, role: &str) -> Result<(), ProjectError> {
        self.guard(access, Verb::Update, Some(id), "project.members", "this project's members").await?;
        let current = self.load(id).await?;
        let role = role.trim();
        if role == BuiltinRole::Administrator.key() {
            return Err(ProjectError::Invalid("Administrator is a portal-wide role; grant it in Admin → People, not in a project.".into()));
        }
        if BuiltinRole::from_key(role).is_none() && crate::entity::role::Entity::find().filter(crate::entity::role::Column::Key.eq(role)).one(self.db.conn()).await?.is_none() {
            return Err(ProjectError::Invalid(format!("There is no role \"{role}\"; choose owner, developer, viewer or a custom role.")));
        }
        let email = email.trim();
        let u = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.db.conn())
            .await?
            .ok_or_else(|| ProjectError::Invalid(format!("No user has the e-mail {email}; they must sign in once before they can be added.")))?;
        self.people.set_member(id, u.id, role).await?;
        access.record(&self.audit, "project.members", &current.name, &format!("{email} is now {role}")).await;
        Ok(())
    }

    /// Removes a member (owners and administrators); the last owner stays.
    pub async fn remove_member(&self, access: &RequestAccess, id: i64, user_id: i64) -> Result<(), ProjectError> {
        self.guard(access, Verb::Update, Some(id), "project.members", "this project's members").await?;
        let current = self.load(id).await?;
        let members = self.people.members(id).await?;
        let Some(m) = members.iter().find(|m| m.user_id == user_id) else {
            return Err(ProjectError::Invalid("That person is not a member of this project.".into()));
        };
        let owner = BuiltinRole::ProjectOwner.key();
        if m.role == owner && members.iter().filter(|o| o.role == owner).count() == 1 {
            return Err(ProjectError::Invalid(format!("{} is the last owner of {}; make someone else an owner first.", m.email, current.name)));
        }
        project_member::Entity::delete_many().filter(project_member::Column::ProjectId.eq(id)).filter(project_member::Column::UserId.eq(user_id)).exec(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        let note = if m.from_groups { " (granted by a group mapping: it returns at their next sign-in unless the mapping changes)" } else { "" };
        access.record(&self.audit, "project.members", &current.name, &format!("{} removed{note}", m.email)).await;
        Ok(())
    }

    /// The highest priority a project may use.
    pub async fn max_priority(&self, project_id: i64) -> Result<Priority, ProjectError> {
        let row = project::Entity::find_by_id(project_id).one(self.db.conn()).await?.ok_or(ProjectError::NotFound)?;
        Ok(Priority::parse(&row.max_priority).unwrap_or_default())
    }

    /// Opens a cluster to a project without a caller (the demo seed and `flotilla` set-up).
    pub async fn open_for_setup(&self, project_id: i64, cluster_id: i64) -> Result<(), ProjectError> {
        let exists = project_cluster::Entity::find_by_id((project_id, cluster_id)).one(self.db.conn()).await?.is_some();
        if !exists {
            project_cluster::ActiveModel { project_id: Set(project_id), cluster_id: Set(cluster_id), opened_at: Set(Utc::now()) }.insert(self.db.conn()).await?;
            self.db.changed(Topic::Access);
        }
        Ok(())
    }
}
