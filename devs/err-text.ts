// One line of text for anything a fiber caught, for the board's log and for onClose reasons.
export function errText(e: unknown): string {
    const m = (e as Error)?.message
    return m ? m : "" + e
}
