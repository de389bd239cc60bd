"""Metrics: pure functions on place DataFrames (columns id and parent_id at least). No I/O."""
import pandas as pd


def _parents(frame: pd.DataFrame) -> pd.Series:
    return frame.set_index("id")["parent_id"]


def depth_of(frame: pd.DataFrame) -> pd.Series:
    """How many ancestors each row has inside `frame` (0 for a root), aligned with `frame`'s index."""
    parent = _parents(frame)
    depth = pd.Series(0, index=parent.index)
    current = parent.copy()
    for _step in range(len(frame)):  # bounded: a cycle in bad data cannot loop forever
        current = current[current.notna() & current.isin(parent.index)]
        if current.empty:
            break
        depth.loc[current.index] += 1
        current = current.map(parent)
    return pd.Series(depth.reindex(frame["id"]).to_numpy(), index=frame.index)


def rollup_to_ancestors(frame: pd.DataFrame, column: str) -> pd.Series:
    """Each place's own `column` plus that of every place below it (missing values count as 0)."""
    parent = _parents(frame)
    own = frame.set_index("id")[column].fillna(0)
    total = own.astype("float64").copy()
    contribution = own.astype("float64")
    ancestor = parent.copy()
    for _step in range(len(frame)):
        present = ancestor.notna() & ancestor.isin(parent.index)
        if not present.any():
            break
        ancestor, contribution = ancestor[present], contribution[present]
        total = total.add(contribution.groupby(ancestor.astype("int64")).sum(), fill_value=0)
        ancestor = ancestor.map(parent)
    result = pd.Series(total.reindex(frame["id"]).to_numpy(), index=frame.index, name=column)
    if pd.api.types.is_integer_dtype(frame[column].dtype):
        result = result.astype("int64")
    return result


def fill_from_children(frame: pd.DataFrame, column: str) -> pd.Series:
    """The place's own figure when it has one, else the sum of its children's (filled the same way).

    Population is often known per grid or per community only; this gives every level a figure without
    double counting a level that has its own.
    """
    parent = _parents(frame)
    value = frame.set_index("id")[column].astype("Float64")
    depth = pd.Series(depth_of(frame).to_numpy(), index=parent.index)
    for level in sorted(depth.unique(), reverse=True):
        at_level = depth.index[depth == level]
        children = value[parent.isin(at_level) & value.notna()]
        sums = children.groupby(parent[children.index]).sum()
        missing = at_level[value.loc[at_level].isna().to_numpy() & at_level.isin(sums.index)]
        value.loc[missing] = sums.loc[missing].to_numpy()
    return pd.Series(value.reindex(frame["id"]).to_numpy(), index=frame.index, name=column)


def share_of_total(frame: pd.DataFrame, column: str, kind: str | None = None) -> pd.Series:
    """Each row's part of the total of `column` over the rows of `kind` (all rows when None); NaN elsewhere."""
    rows = frame if kind is None else frame[frame["kind"] == kind]
    total = rows[column].sum()
    share = pd.Series(float("nan"), index=frame.index, name=f"{column}_share")
    if total:
        share.loc[rows.index] = rows[column].astype("float64") / float(total)
    return share


def share_of_parent(frame: pd.DataFrame, column: str) -> pd.Series:
    """Each place's part of its parent's `column` (for rolled-up columns); NaN for roots or a zero parent."""
    by_id = frame.set_index("id")[column].astype("float64")
    parent_value = frame["parent_id"].map(by_id).astype("float64")
    share = frame[column].astype("float64") / parent_value.where(parent_value != 0)
    return share.rename(f"{column}_share")


def per_10k_residents(frame: pd.DataFrame, column: str, population: str = "population") -> pd.Series:
    """`column` per 10,000 residents (the usual yardstick for organisations); NaN without a population."""
    people = frame[population].astype("float64")
    return (frame[column].astype("float64") * 10_000 / people.where(people > 0)).rename(f"{column}_per_10k")


def with_ancestor_name(frame: pd.DataFrame, kind: str, label: str | None = None) -> pd.DataFrame:
    """`frame` with a column naming each row's ancestor of `kind` (e.g. the district of each street)."""
    names = frame.set_index("id")["name"]
    kinds = frame.set_index("id")["kind"]
    parent = _parents(frame)
    found = pd.Series(pd.NA, index=parent.index, dtype="object")
    current = pd.Series(parent.index, index=parent.index)
    for _step in range(len(frame) + 1):
        current = current[current.notna() & current.isin(parent.index)]
        if current.empty:
            break
        hit = current[kinds.reindex(current.to_numpy()).to_numpy() == kind]
        found.loc[hit.index] = names.reindex(hit.to_numpy()).to_numpy()
        current = current.drop(hit.index).map(parent)
    result = frame.copy()
    result[label or kind] = found.reindex(frame["id"]).to_numpy()
    return result


def rows_of_kind(frame: pd.DataFrame, kind: str, sort_by: str | None = None, ascending: bool = False) -> pd.DataFrame:
    rows = frame[frame["kind"] == kind]
    if sort_by:
        rows = rows.sort_values([sort_by, "code"], ascending=[ascending, True])
    return rows.reset_index(drop=True)
