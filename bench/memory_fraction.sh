#!/usr/bin/env bash
# The fraction of GPU 0's memory that GIB GiB make, for --memory-fraction (both sides cap their allocator
# with it, to stand for a smaller GPU): bench/memory_fraction.sh 80 prints 0.5685 on a 143,771 MiB H200.
set -euo pipefail
total_mib=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0)
python3 -c "print(round(min(1.0, $1 * 1024 / $total_mib), 4))"
