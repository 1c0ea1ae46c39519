"""Collection service (滞納管理): installment projection, 督促, cases."""
