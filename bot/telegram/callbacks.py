"""Every callback-data prefix the bot's buttons carry, in one place (R-b3: data ≤ 64 bytes,
checked by `keyboards.data`). A flow's buttons are `<prefix>:<flow id>:<step>:<arg>`
(flow_table.py); the others are `<prefix>:<args>` read by one handler each."""

from __future__ import annotations

from enum import StrEnum


class Flow(StrEnum):
    """The guided flows (flow_table.FlowTable.prefix); also their key in user_data."""

    NEW_VOUCHER = "nv"
    ISSUE = "is"
    DROP = "dr"
    ADD_QUANTITY = "aq"
    ADD_BUDGET = "ab"
    SETUP = "setup"
    HANDLE = "hd"
    LANGUAGE = "lang"


class Button(StrEnum):
    """Buttons outside a flow."""

    VOUCHER = "v"  # v:<id> details; v:<id>:dx / dx! deactivate; v:<id>:add add quantity;
    # v:<id>:budget raise the budget
    VOUCHER_LIST = "vl"  # vl:<status>:<page>
    VOUCHER_PICK = "vp"  # vp:<status>:<page>
    STOP = "sp"  # sp:<voucher id>
    DROP_LIST = "dp"  # dp:list, dp:c:<drop id>
    STATS = "st"  # st:<scope>:<period>[:<voucher id>][:c]
    VOUCHER_STATS = "sv"  # sv:<voucher id>
    LINK = "lk"  # lk:official|marketing
    ACCOUNT = "ac"  # ac:<account id>:u|u!|k
    API_KEY = "ak"  # ak:<key id>[:!]
    LIVE_PANEL = "lp"  # lp:<session id>:…
    OVERLAY = "ov"  # ov:link (the live panel's 🎥 Overlay)
    PICKER_CANCEL = "cx"  # ✖ Cancel under a picker that is not a flow


# Entry buttons of flows (outside a flow's own `<prefix>:<flow id>:…` buttons).
START = "start"  # is:start[:<voucher id>], dr:start
NEW = "new"  # nv:new: "Create another"
