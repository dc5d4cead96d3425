//! What a merge will do, field by field, as the user is shown it (the merge prompt, CLI.md's
//! exit 3, the API's 409). The rules that make a plan are merge.rs.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Blank before; the entry's value fills it.
    Fill,
    /// A different value before; the entry's value replaces it.
    Replace,
    /// The entry has nothing new for it; the value stays.
    Keep,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, utoipa::ToSchema)]
pub struct FieldPlan {
    pub field: String,
    pub current: Option<String>,
    pub new: Option<String>,
    pub result: Option<String>,
    pub action: Action,
}

/// What a merge will do (CLI.md: exit 3 prints this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, utoipa::ToSchema)]
pub struct MergePlan {
    /// The contacts involved, the survivor first.
    pub merge_with: Vec<String>,
    pub fields: Vec<FieldPlan>,
}
