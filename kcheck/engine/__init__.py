"""Rules as data: loading rule files and evaluating them over facts."""
