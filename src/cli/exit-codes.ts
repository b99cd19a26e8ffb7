/** The CLI's exit codes (README "Troubleshooting"). */
export const EXIT = { userError: 1, gateFailed: 2, internal: 3, interrupted: 130 } as const;
