# Sourced by the project's scripts: where the set-up put its tools.
CARBON_PICKLE_TOOLS="${CARBON_PICKLE_TOOLS:-$HOME/.cache/carbon-pickle}"
export CARBON_PICKLE_TOOLS
export CARBON_PICKLE_PYTHON="$CARBON_PICKLE_TOOLS/venv/bin/python"
export PATH="$HOME/.cargo/bin:$PATH"
