//! Authorization as far as Flotilla needs it: the cluster's token may do everything except
//! what a test has denied (`ClusterHandle::deny`), and SelfSubjectAccessReview answers
//! "may I verb resource?" the same way the API routes enforce it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::resources::RESOURCES;
use crate::status::ApiError;

/// `resource` is the plural, qualified with its group unless core ("pods", "deployments.apps").
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() { plural.to_owned() } else { format!("{plural}.{group}") }
}

/// The Kubernetes verb of a request.
pub fn verb(method: &Method, named: bool, watch: bool) -> &'static str {
    match *method {
        Method::GET if watch => "watch",
        Method::GET if named => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "get",
    }
}

/// Refuses the request when the verb on the resource is denied.
pub fn check(c: &Cluster, verb: &str, res: usize, name: &str) -> Result<(), ApiError> {
    let def = &RESOURCES[res];
    if c.is_denied(verb, &qualified(def.group, def.plural)) {
        return Err(ApiError::forbidden(
            def.group,
            def.plural,
            name,
            &format!("User \"flotilla-sim\" cannot {verb} resource \"{}\" (denied by the simulator's test settings)", def.plural),
        ));
    }
    Ok(())
}

/// POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews
pub async fn self_subject_access_review(State(c): State<Arc<Cluster>>, Json(mut review): Json<Value>) -> Response {
    let attrs = &review["spec"]["resourceAttributes"];
    let (Some(verb), Some(resource)) = (attrs["verb"].as_str(), attrs["resource"].as_str()) else {
        return ApiError::bad_request("spec.resourceAttributes.verb and .resource are required").into_response();
    };
    let group = attrs["group"].as_str().unwrap_or("");
    let allowed = !c.is_denied(verb, &qualified(group, resource));
    review["status"] = json!({ "allowed": allowed, "denied": !allowed });
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    (axum::http::StatusCode::CREATED, Json(review)).into_response()
}
