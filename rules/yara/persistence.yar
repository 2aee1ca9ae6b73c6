/*
 * persistence.yar — entries that fetch and run code again and again.
 * Part of ssrfguard's shipped ruleset (docs/forensics.md).
 */

rule cron_download_and_execute
{
    meta:
        description = "cron schedule downloading a script and piping it into a shell"
        severity = "high"
        category = "persistence"
    strings:
        $sched = /(^|\n)\s*(@(reboot|hourly|daily|weekly|monthly|yearly|annually)|([0-9*\/,\-]+\s+){4}[0-9a-z*\/,\-]+)\s+[^\n]{0,200}\b(curl|wget|fetch)\s[^\n]{0,300}\|\s*(\/usr)?(\/bin\/)?(ba|da|z)?sh\b/
    condition:
        $sched and filesize < 256KB
}
