//! Merge plans (DESIGN.md, Merge): what saving an entry onto an existing contact fills,
//! replaces and keeps. An empty value in the entry never clears anything.

use serde::{Deserialize, Serialize};

use crate::contact::{ContactRow, FIELDS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Blank before; the entry's value fills it.
    Fill,
    /// A different value before; the entry's value replaces it.
    Replace,
    /// The entry has nothing new for it; the value stays.
    Keep,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct FieldPlan {
    pub field: String,
    pub current: Option<String>,
    pub new: Option<String>,
    pub result: Option<String>,
    pub action: Action,
}

/// What a merge will do (CLI.md: exit 3 prints this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct MergePlan {
    /// The contacts involved, the survivor first.
    pub merge_with: Vec<String>,
    pub fields: Vec<FieldPlan>,
}

/// Plans `entry` onto `survivor`, field by field. Fields blank on both sides are left out.
pub fn plan(survivor: &ContactRow, entry: &ContactRow, merge_with: Vec<String>) -> MergePlan {
    let fields = FIELDS
        .iter()
        .filter_map(|field| {
            let current = survivor.get(field);
            let new = entry.get(field);
            let action = match (&current, &new) {
                (_, None) => Action::Keep,
                (None, Some(_)) => Action::Fill,
                (Some(c), Some(n)) if c == n => Action::Keep,
                (Some(_), Some(_)) => Action::Replace,
            };
            if current.is_none() && new.is_none() {
                return None;
            }
            let result = if action == Action::Keep {
                current.clone()
            } else {
                new.clone()
            };
            Some(FieldPlan {
                field: field.to_string(),
                current,
                new,
                result,
                action,
            })
        })
        .collect();
    MergePlan { merge_with, fields }
}

/// The survivor's row once the plan is applied (id, owner and created_at are its own).
pub fn apply(survivor: &ContactRow, plan: &MergePlan) -> ContactRow {
    let mut row = survivor.clone();
    for f in &plan.fields {
        row.set(&f.field, f.result.clone());
    }
    row
}
