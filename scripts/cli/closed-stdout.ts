/**
 * Ends a command-line script quietly, with exit code 0, when whatever reads its standard output
 * goes away (`npm run -s predictions -- export | head`). The reader chose to stop, so the script
 * has nothing to report; without this, Node raises EPIPE as an error with a stack trace or exit
 * code 1. Any other error on stdout is thrown as before.
 */
export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}
