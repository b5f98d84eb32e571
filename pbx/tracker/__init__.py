"""The call tracker: pure logic that folds the AMI event stream into one call
record per ``Linkedid`` and announces state changes as domain events. It does
no I/O; the connector feeds it events and the clock's time."""
