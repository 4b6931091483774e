"""How the program composes a stack from components: one module per kind of stack."""
