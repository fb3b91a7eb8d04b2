"""Source-neutral papers, deliveries per channel, and a little state for each plug-in.

- papers are keyed by `id` (the arXiv id for an arXiv paper, else "doi:…" or
  "<source>:<id>"); `arxiv_id` becomes a column of its own (unique where set), and `source`
  names the source that first had the paper, arXiv preferred. The tables that point at papers
  call their column `paper_id`. `sources` (a bit set of how the paper was read) is `routes`.
- paper_aliases: the other names of a paper (its DOI, a feed's own id or link), so that the
  same work seen by two sources is one row.
- deliveries gain a `channel` ("email", "atom"); each channel keeps its own windows.
- plugin_state: small values a source or a channel keeps between runs (an OAI resumption
  token, a feed's last poll, a reader's feed token).

Every rename is an ALTER TABLE … RENAME COLUMN, which SQLite (3.25+) and PostgreSQL do in
place: no table is copied, the FTS5 index and its triggers keep pointing at the same rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_LIVE = "state != 'failed'"
# Tables whose arxiv_id column points at papers.
_POINTING = ("announcements", "corpus_counted", "paper_embeddings", "trending", "delivery_papers")
# The bit Hugging Face had in `sources` (rss 1, listing 2, api 4, oai 8, huggingface 16).
_HUGGINGFACE_ONLY = 16
KEY_LENGTH = 255  # store.tables.KEY_LENGTH when this was written


def _rename(table: str, old: str, new: str) -> None:
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")


def upgrade() -> None:
    _rename("papers", "arxiv_id", "id")
    _rename("papers", "sources", "routes")
    for table in _POINTING:
        _rename(table, "arxiv_id", "paper_id")
    if op.get_bind().dialect.name == "postgresql":
        # A key that is not an arXiv id is longer ("doi:10.1101/2023.12.16.571984"); SQLite
        # does not enforce lengths.
        op.alter_column("papers", "id", type_=sa.String(KEY_LENGTH))
        for table in _POINTING:
            op.alter_column(table, "paper_id", type_=sa.String(KEY_LENGTH))
    op.add_column("papers", sa.Column("arxiv_id", sa.String(64)))
    op.add_column(
        "papers", sa.Column("source", sa.String(64), nullable=False, server_default="arxiv")
    )
    # Every paper stored so far is an arXiv paper (Hugging Face's are too): its id is its
    # arXiv id. A paper only Hugging Face has shown came from Hugging Face.
    op.execute("UPDATE papers SET arxiv_id = id")
    op.execute(f"UPDATE papers SET source = 'huggingface' WHERE routes = {_HUGGINGFACE_ONLY}")
    op.create_index(
        "uq_papers_arxiv_id",
        "papers",
        ["arxiv_id"],
        unique=True,
        sqlite_where=sa.text("arxiv_id IS NOT NULL"),
        postgresql_where=sa.text("arxiv_id IS NOT NULL"),
    )
    op.create_table(
        "paper_aliases",
        sa.Column("alias", sa.String(KEY_LENGTH), primary_key=True),
        sa.Column(
            "paper_id",
            sa.String(KEY_LENGTH),
            sa.ForeignKey("papers.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("ix_paper_aliases_paper_id", "paper_aliases", ["paper_id"])
    _doi_aliases()
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("deliveries")}
    if "channel" not in columns:  # a downgrade leaves it (see there)
        op.add_column(
            "deliveries",
            sa.Column("channel", sa.String(16), nullable=False, server_default="email"),
        )
    op.drop_index("uq_deliveries_window", table_name="deliveries")
    _window_index(["subscriber", "kind", "channel", "window_from"])
    op.create_table(
        "plugin_state",
        sa.Column("namespace", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )


def _doi_aliases() -> None:
    """A DOI names the work wherever it appears (the journal version of an arXiv preprint):
    each paper's DOI becomes an alias, in the form the code writes (paperwire.doi, imported
    rather than copied so the two cannot differ), arXiv's own DOIs left out. Two papers
    claiming one DOI happen (errata): the first keeps it."""
    from paperwire.doi import arxiv_id_of_doi, normal_doi

    bind = op.get_bind()
    papers = sa.table("papers", sa.column("id"), sa.column("doi"))
    aliases = sa.table("paper_aliases", sa.column("alias"), sa.column("paper_id"))
    taken: set[str] = set()
    rows = []
    query = sa.select(papers.c.id, papers.c.doi).where(papers.c.doi.is_not(None))
    for paper_id, text in bind.execute(query.order_by(papers.c.id)):
        doi = normal_doi(text)
        if doi and not arxiv_id_of_doi(doi) and f"doi:{doi}" not in taken:
            taken.add(f"doi:{doi}")
            if len(doi) + 4 <= KEY_LENGTH:  # a longer one is no DOI
                rows.append({"alias": f"doi:{doi}", "paper_id": paper_id})
    for start in range(0, len(rows), 500):
        bind.execute(aliases.insert(), rows[start : start + 500])


def _window_index(columns: list[str]) -> None:
    op.create_index(
        "uq_deliveries_window",
        "deliveries",
        columns,
        unique=True,
        sqlite_where=sa.text(_LIVE),
        postgresql_where=sa.text(_LIVE),
    )


def _rekey_arxiv_papers() -> None:
    """A paper stored first from another source (keyed "doi:…") that arXiv listed later is an
    arXiv paper to the older schema: its row moves to its arXiv id, with what points at it
    (the papers a reader was sent, above all, so that nothing is sent again)."""
    bind = op.get_bind()
    kept = [
        column["name"]
        for column in sa.inspect(bind).get_columns("papers")
        if column["name"] not in ("id", "arxiv_id") and not column.get("computed")
    ]
    rest = ", ".join(kept)
    moved = bind.execute(
        sa.text("SELECT id, arxiv_id FROM papers WHERE arxiv_id IS NOT NULL AND arxiv_id != id")
    ).all()
    for old, new in moved:
        names = {"old": old, "new": new}
        bind.execute(sa.text("UPDATE papers SET arxiv_id = NULL WHERE id = :old"), names)
        bind.execute(
            sa.text(
                f"INSERT INTO papers (id, arxiv_id, {rest}) "
                f"SELECT :new, :new, {rest} FROM papers WHERE id = :old"
            ),
            names,
        )
        for table in _POINTING:
            bind.execute(
                sa.text(f"UPDATE {table} SET paper_id = :new WHERE paper_id = :old"), names
            )
        bind.execute(sa.text("DELETE FROM papers WHERE id = :old"), names)


def downgrade() -> None:
    # What the older schema cannot hold goes: papers that are not on arXiv (with what points
    # at them, by cascade) and deliveries on other channels than email. An arXiv paper first
    # stored from another source is kept, under its arXiv id.
    _rekey_arxiv_papers()
    op.execute("DELETE FROM papers WHERE arxiv_id IS NULL OR arxiv_id != id")
    other = "SELECT id FROM deliveries WHERE channel != 'email'"
    op.execute(f"DELETE FROM delivery_papers WHERE delivery_id IN ({other})")
    op.execute("DELETE FROM deliveries WHERE channel != 'email'")
    op.drop_table("plugin_state")
    op.drop_index("uq_deliveries_window", table_name="deliveries")
    _window_index(["subscriber", "kind", "window_from"])
    op.drop_index("ix_paper_aliases_paper_id", table_name="paper_aliases")
    op.drop_table("paper_aliases")
    op.drop_index("uq_papers_arxiv_id", table_name="papers")
    # Plain DROP COLUMN (SQLite 3.35+): the table is not copied. `channel` stays, as 0005's
    # downgrade leaves `kind`: older versions never read it.
    op.execute("ALTER TABLE papers DROP COLUMN arxiv_id")
    op.execute("ALTER TABLE papers DROP COLUMN source")
    for table in _POINTING:
        _rename(table, "paper_id", "arxiv_id")
    _rename("papers", "routes", "sources")
    _rename("papers", "id", "arxiv_id")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("papers", "arxiv_id", type_=sa.String(64))
        for table in _POINTING:
            op.alter_column(table, "arxiv_id", type_=sa.String(64))
