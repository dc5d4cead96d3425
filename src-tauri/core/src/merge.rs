//! Merge plans (DESIGN.md, Merge): what saving an entry onto an existing contact fills,
//! replaces and keeps. An empty value in the entry never clears anything.

pub use crate::plan::{Action, FieldPlan, MergePlan};
use crate::record::{ContactRow, FIELDS};

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
