"""kafka-consumer-groups through kafka-python's admin client (2.0.2 or 3.x, whichever this interpreter has): lists
the groups of every broker, describes one group (state, protocol, members with their decoded subscription and
assignment), reads its committed offsets, and optionally deletes groups. Prints one JSON line:

    {"version", "listed": [[group, protocol_type], ...], "described": {...}, "offsets": {"topic:partition":
     [offset, metadata]}, "deleted": [[group, error name or "OK"], ...], "errors": [...]}"""
import argparse
import json
import sys

import kafka
from kafka import KafkaAdminClient


def field(value, name):
    """A field of a decoded protocol struct: kafka-python 2.0.2 gives objects, 3.x dicts (to_dict())."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def topics_of(metadata) -> list:
    # kafka-python 2.0.2 names the fields `subscription` and `assignment`, 3.x `topics` and `assigned_partitions`.
    return sorted(field(metadata, "topics") or field(metadata, "subscription") or [])


def partitions_of(assignment) -> list:
    out = []
    for entry in field(assignment, "assigned_partitions") or field(assignment, "assignment") or []:
        if isinstance(entry, dict):
            topic, partitions = entry.get("topic"), entry.get("partitions")
        else:
            topic, partitions = entry
        out += [[topic, p] for p in partitions]
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--delete", nargs="*", default=[])
    args = ap.parse_args()
    result = {"version": kafka.__version__, "errors": []}
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=30_000)
    v3 = hasattr(admin, "describe_groups")
    try:
        if v3:
            result["listed"] = sorted([g["group_id"], g["protocol_type"]] for g in admin.list_groups())
            g = admin.describe_groups([args.group])[args.group]
            result["described"] = {
                "error": g.get("error"), "state": g["group_state"], "protocol_type": g["protocol_type"],
                "protocol": g["protocol_data"],
                "members": sorted(({"member_id": m["member_id"], "client_id": m["client_id"],
                                    "instance_id": m.get("group_instance_id"),
                                    "topics": topics_of(m["member_metadata"]),
                                    "partitions": partitions_of(m["member_assignment"])}
                                   for m in g["members"]), key=lambda m: m["member_id"])}
            offsets = admin.list_group_offsets({args.group: None})[args.group]
        else:
            result["listed"] = sorted([g[0], g[1]] for g in admin.list_consumer_groups())
            [g] = admin.describe_consumer_groups([args.group])
            result["described"] = {
                "error": g.error_code or None, "state": g.state, "protocol_type": g.protocol_type,
                "protocol": g.protocol,
                "members": sorted(({"member_id": m.member_id, "client_id": m.client_id, "instance_id": None,
                                    "topics": topics_of(m.member_metadata),
                                    "partitions": partitions_of(m.member_assignment)}
                                   for m in g.members), key=lambda m: m["member_id"])}
            offsets = admin.list_consumer_group_offsets(args.group)
        result["offsets"] = {f"{tp.topic}:{tp.partition}": [om.offset, om.metadata] for tp, om in offsets.items()}
        if args.delete:
            deleted = admin.delete_groups(args.delete) if v3 else admin.delete_consumer_groups(args.delete)
            pairs = deleted.items() if isinstance(deleted, dict) else deleted
            result["deleted"] = sorted([str(g), e if isinstance(e, str) else getattr(e, "__name__", type(e).__name__)]
                                       for g, e in pairs)
    except Exception as e:
        result["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        admin.close()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
