"""Grid cases (网格事件): the closed loop from a report to the reporter's verdict, on phones that may be offline."""
