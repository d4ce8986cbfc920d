"""What the tests share and are not tests themselves: paths and checks (common), test inputs (inputs), the
Triton interpreter set-up, Pointcept's stand-ins, data writers for the integration checks, the mutation check."""
