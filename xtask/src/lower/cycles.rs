//! Recursive schemas: a struct or union that contains itself (directly or through other types, not
//! behind a `Vec` or map) would have infinite size, so the fields and variants on such a cycle are boxed.

use crate::ir::{Ty, TypeDef, TypeKind, TypePath};
use std::collections::HashMap;

/// Marks `boxed` on every field and variant whose type is in the same strongly connected component as
/// its owner (Tarjan's algorithm, iterative so deep specs cannot overflow the stack).
pub fn box_cycles(types: &mut [TypeDef]) {
    let index: HashMap<TypePath, usize> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.path.clone(), i))
        .collect();
    let edges: Vec<Vec<usize>> = types
        .iter()
        .map(|t| {
            inline_targets(&t.kind)
                .filter_map(|p| index.get(p).copied())
                .collect()
        })
        .collect();
    let component = strongly_connected(&edges);
    for (i, def) in types.iter_mut().enumerate() {
        let on_cycle = |ty: &Ty| match direct_target(ty) {
            Some(p) => index.get(p).is_some_and(|&j| component[j] == component[i]),
            None => false,
        };
        match &mut def.kind {
            TypeKind::Struct { fields, .. } => {
                for field in fields {
                    field.boxed = on_cycle(&field.ty);
                }
            }
            TypeKind::Union(union) => {
                for variant in &mut union.variants {
                    variant.boxed = on_cycle(&variant.ty);
                }
            }
            _ => {}
        }
    }
}

/// The named type stored inline (not behind a heap pointer such as `Vec` or a map).
fn direct_target(ty: &Ty) -> Option<&TypePath> {
    match ty {
        Ty::Named(p) => Some(p),
        _ => None,
    }
}

fn inline_targets(kind: &TypeKind) -> Box<dyn Iterator<Item = &TypePath> + '_> {
    match kind {
        TypeKind::Struct { fields, .. } => {
            Box::new(fields.iter().filter_map(|f| direct_target(&f.ty)))
        }
        TypeKind::Union(union) => {
            Box::new(union.variants.iter().filter_map(|v| direct_target(&v.ty)))
        }
        TypeKind::Alias(ty) => Box::new(direct_target(ty).into_iter()),
        TypeKind::StringEnum { .. } => Box::new(std::iter::empty()),
    }
}

/// The component number of each node.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut order, mut low, mut component) = (vec![UNSEEN; n], vec![0; n], vec![UNSEEN; n]);
    let (mut on_stack, mut stack) = (vec![false; n], Vec::new());
    let (mut counter, mut components) = (0, 0);
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        // (node, next edge to look at)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut next)) = work.last_mut() {
            if *next == 0 && order[node] == UNSEEN {
                order[node] = counter;
                low[node] = counter;
                counter += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&target) = edges[node].get(*next) {
                *next += 1;
                if order[target] == UNSEEN {
                    work.push((target, 0));
                } else if on_stack[target] {
                    low[node] = low[node].min(order[target]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = components;
                    if member == node {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::strongly_connected;

    #[test]
    fn components_group_cycles_only() {
        // 0 -> 1 -> 2 -> 0 is a cycle; 3 -> 0 is not on it; 4 points at itself.
        let edges = vec![vec![1], vec![2], vec![0], vec![0], vec![4]];
        let c = strongly_connected(&edges);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[3], c[0]);
        assert_ne!(c[4], c[3]);
    }
}
