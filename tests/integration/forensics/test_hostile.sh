#!/bin/sh
# LOCAL PLACEHOLDER (serve worktree, never committed): forensics has not committed it yet
exit 77
