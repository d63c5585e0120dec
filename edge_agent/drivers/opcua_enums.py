"""The names of an OPC UA enumeration node's values, read from its data type once per connect.

OPC UA gives them three ways (Part 3, 5.8.3 and 8.14): an ``EnumStrings`` property (the index
is the value), an ``EnumValues`` property (value and display name per entry), or, since 1.04,
the data type's ``DataTypeDefinition`` (an ``EnumDefinition``). A node whose data type is not
an enumeration (a String, an Int32) has none of them: no names.
"""

from __future__ import annotations

import logging

from asyncua import Client, Node, ua

log = logging.getLogger(__name__)


async def enum_names(client: Client, node: Node) -> dict[int, str]:
    """Value -> name of ``node``'s enumeration data type; empty when it is not an enumeration."""
    dtype = client.get_node(await node.read_data_type())
    for desc in await dtype.get_children_descriptions(refs=ua.ObjectIds.HasProperty):
        name = desc.BrowseName.Name
        if name == "EnumStrings":
            texts = await client.get_node(desc.NodeId).read_value()
            return {i: _text(t) for i, t in enumerate(texts or [])}
        if name == "EnumValues":
            entries = await client.get_node(desc.NodeId).read_value()
            return {int(e.Value): _text(e.DisplayName) for e in entries or []}
    try:
        definition = await dtype.read_data_type_definition()
    except ua.UaError as exc:  # BadAttributeIdInvalid: not a data type with a definition
        log.debug("no data type definition node=%s: %r", node.nodeid.to_string(), exc)
        return {}
    if isinstance(definition, ua.EnumDefinition):
        return {int(f.Value): f.Name for f in definition.Fields}
    return {}


def _text(t: object) -> str:
    return str(getattr(t, "Text", t) or "")
