"""Build neutron's database schema on SQLite; run with the neutron venv's python.

Usage: python neutron_schema.py sqlite:///PATH

Neutron's alembic migrations cannot run on SQLite, so the schema comes from the
models (as Neutron's unit tests do it), plus the one row set a migration
(2023.2 c33da356b165) inserts into an empty database: the 4 legacy default
security-group rule templates. Without them every security group gets 0 rules.
Afterwards, `neutron-db-manage stamp heads` records the schema as current.
"""

import sys

import sqlalchemy as sa
from neutron.db.migration.models import head
from oslo_utils import uuidutils

EGRESS = "Legacy default SG rule for egress traffic"
INGRESS = "Legacy default SG rule for ingress traffic"
# direction, ethertype, remote_group_id, used_in_default_sg, used_in_non_default_sg, description
DEFAULT_RULES = [
    ("egress", "IPv4", None, True, True, EGRESS),
    ("egress", "IPv6", None, True, True, EGRESS),
    ("ingress", "IPv4", "PARENT", True, False, INGRESS),
    ("ingress", "IPv6", "PARENT", True, False, INGRESS),
]


def main(url: str) -> None:
    engine = sa.create_engine(url)
    metadata = head.get_metadata()
    metadata.create_all(engine)
    attributes = metadata.tables["standardattributes"]
    templates = metadata.tables["securitygroupdefaultrules"]
    with engine.begin() as db:
        if db.execute(sa.select(sa.func.count()).select_from(templates)).scalar():
            return
        for direction, ethertype, remote_group, in_default, in_other, description in DEFAULT_RULES:
            row = db.execute(sa.insert(attributes).values(
                description=description, resource_type="securitygroupdefaultrules"))
            db.execute(sa.insert(templates).values(
                id=uuidutils.generate_uuid(), standard_attr_id=row.inserted_primary_key[0],
                direction=direction, ethertype=ethertype, remote_group_id=remote_group,
                used_in_default_sg=in_default, used_in_non_default_sg=in_other))


if __name__ == "__main__":
    main(sys.argv[1])
