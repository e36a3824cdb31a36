"""THE batch service: lifecycle, status transitions, events (with pace and ETA), the drop-folder rule.

One implementation for both modes; the composition roots in ``receiptflow.wiring`` give it ports."""
