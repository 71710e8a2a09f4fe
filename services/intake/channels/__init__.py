"""Channel adapters: how each SMS or chat provider signs, formats and delivers messages."""
