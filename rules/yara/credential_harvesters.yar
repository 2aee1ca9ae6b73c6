/*
 * credential_harvesters.yar — scripts that take the instance role's
 * credentials from the metadata service, or the AWS credentials files, and
 * send them on.  Part of ssrfguard's shipped ruleset (docs/forensics.md).
 * SDKs also know these paths (botocore, cloud-init): the rules ask for a
 * small script that both reads the credentials and carries them away.
 */

rule imds_credentials_fetch_script
{
    meta:
        description = "script fetching the instance role's credentials from the metadata service with a command-line client"
        severity = "high"
        category = "credential harvester"
    strings:
        $v4 = "169.254.169.254" ascii
        $v6 = /fd00:ec2::254/ nocase
        $v4_alt = /\b(0xa9fea9fe|2852039166|0251\.0376\.0251\.0376)\b/ nocase
        $creds = "/latest/meta-data/iam/security-credentials" ascii
        $token = "/latest/api/token" ascii
        $client = /\b(curl|wget|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b/
    condition:
        any of ($v4, $v6, $v4_alt) and $creds and $client and filesize < 256KB
        and not ($token and #creds == 1 and filesize > 64KB)
}

rule imds_credentials_exfil_script
{
    meta:
        description = "script reading the instance role's credentials from the metadata service and sending them elsewhere"
        severity = "high"
        category = "credential harvester"
    strings:
        $v4 = "169.254.169.254" ascii
        $v6 = /fd00:ec2::254/ nocase
        $creds = "/latest/meta-data/iam/security-credentials" ascii
        $send1 = /requests\s*\.\s*post\s*\(/
        $send2 = /Request\s*\([^)\n]{0,300}(data\s*=|method\s*=\s*["'](POST|PUT)["'])/
        $send3 = /(curl|wget)\s[^\n]{0,200}(--data|-d\s|--upload-file|-T\s|--post-data|--post-file|-F\s)/
        $send4 = /\|\s*(nc|ncat|netcat)\s+[^\s]{1,255}\s+[0-9]{1,5}/
        $send5 = /socket\s*\.\s*(create_connection|socket)\s*\(/
    condition:
        ($v4 or $v6) and $creds and any of ($send*) and filesize < 256KB
}

rule aws_credentials_file_exfil
{
    meta:
        description = "script reading ~/.aws/credentials and sending it over the network"
        severity = "high"
        category = "credential harvester"
    strings:
        // ~/.aws/credentials, $HOME/..., "$u/..." (a loop over the homes), /root/..., /home/USER/...
        $file = /(~|\$\{?[A-Za-z_]\w{0,30}\}?|\/root|\/home\/[^\/\s]{1,64}|expanduser\(\s*["']~)\/?\.aws\/credentials/
        /* path.join(os.homedir(), '.aws', 'credentials'), os.path.join(home, ".aws", "credentials") */
        $file_join = /["']\.aws["']\s*,\s*["']credentials["']/
        /* os.homedir() + '/.aws/credentials', os.getenv("HOME") + "/.aws/credentials" */
        $file_cat = /(homedir\(\)|getenv\(\s*["']HOME["']\s*\)|environ\[\s*["']HOME["']\s*\]|env\.HOME)\s*\+\s*["']\/\.aws\/credentials/
        $send1 = /(curl|wget)\s[^\n]{0,300}(--data|-d\s|-d@|--upload-file|-T\s|--post-data|--post-file|-F\s)/
        $send2 = /requests\s*\.\s*(post|put)\s*\(/
        $send3 = /\|\s*(nc|ncat|netcat)\s+[^\s]{1,255}\s+[0-9]{1,5}/
        $send4 = /\/dev\/tcp\/[^\/\s]{1,255}\/[0-9]{1,5}/
        $send5 = /base64\s[^\n]{0,100}\.aws\/credentials[^\n]{0,100}\|\s*(curl|wget|nc)\b/
        $send6 = /axios\s*\.\s*(post|put)\s*\(/
        /* https.request({..., method: 'POST'}), fetch(url, {method: "POST", ...}) */
        $send7 = /\b(request|fetch)\s*\([^;]{0,300}method\s*:\s*["'](POST|PUT)["']/
    condition:
        any of ($file*) and any of ($send*) and filesize < 256KB
}
