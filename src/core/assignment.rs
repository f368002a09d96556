//! The optimal assignment of n rows to n columns (the linear sum assignment problem): the
//! permutation pi minimising Σ_i cost[i][pi(i)]. Minibatch optimal transport between two equal
//! batches of points with uniform weights is exactly this problem (the optimal plan of the
//! discrete Kantorovich problem is a permutation, Birkhoff-von Neumann), which is how Tong et al.
//! (2023, "Improving and generalizing flow-based generative models with minibatch optimal
//! transport", Sec. 3.2) and Pooladian et al. (2023, "Multisample flow matching") pair noise with data.
//!
//! Solved by the Hungarian method with potentials (Kuhn 1955, Munkres 1957; the O(n^3)
//! shortest-augmenting-path form of Jonker and Volgenant 1987): rows are added one at a time,
//! each by a Dijkstra-like search for the cheapest augmenting path in reduced costs
//! cost[i][j] - u[i] - v[j] >= 0, after which the potentials are updated so that matched pairs
//! keep a reduced cost of zero. Optimality follows from the dual: Σ u + Σ v equals the cost of
//! the matching, and no reduced cost is negative.

/// The permutation `pi` (row i goes to column pi[i]) minimising Σ_i cost[i * n + pi[i]] for the
/// row-major n x n matrix `cost` (finite entries). `n = 0` gives the empty permutation.
pub fn optimal_assignment(cost: &[f64], n: usize) -> Vec<usize> {
    assert_eq!(cost.len(), n * n, "an n x n cost matrix");
    // 1-based columns with a virtual column 0 where each new row enters; row_of[j] = the row
    // (1-based, 0 for none) matched to column j.
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let mut row_of = vec![0usize; n + 1];
    let mut came_from = vec![0usize; n + 1];
    for row in 1..=n {
        row_of[0] = row;
        let mut column = 0;
        let mut shortest = vec![f64::INFINITY; n + 1];
        let mut reached = vec![false; n + 1];
        // Grow the tree of tight edges until it reaches a free column.
        loop {
            reached[column] = true;
            let i = row_of[column];
            let (mut delta, mut next) = (f64::INFINITY, 0);
            for j in 1..=n {
                if reached[j] {
                    continue;
                }
                let reduced = cost[(i - 1) * n + j - 1] - u[i] - v[j];
                if reduced < shortest[j] {
                    shortest[j] = reduced;
                    came_from[j] = column;
                }
                if shortest[j] < delta {
                    delta = shortest[j];
                    next = j;
                }
            }
            for j in 0..=n {
                if reached[j] {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    shortest[j] -= delta;
                }
            }
            column = next;
            if row_of[column] == 0 {
                break;
            }
        }
        // Flip the augmenting path back to the virtual column.
        while column != 0 {
            let previous = came_from[column];
            row_of[column] = row_of[previous];
            column = previous;
        }
    }
    let mut assignment = vec![0; n];
    for j in 1..=n {
        assignment[row_of[j] - 1] = j - 1;
    }
    assignment
}
