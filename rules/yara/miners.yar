/*
 * miners.yar — cryptocurrency miner configurations and launchers.
 * Part of ssrfguard's shipped ruleset (docs/forensics.md).
 */

rule xmrig_config
{
    meta:
        description = "XMRig (or compatible) miner configuration: pools with a stratum URL and a wallet"
        severity = "high"
        category = "cryptominer"
    strings:
        $pools = "\"pools\"" ascii
        $url = /"url"\s*:\s*"(stratum\+(tcp|ssl|tls):\/\/)?[a-z0-9.\-]{1,200}:[0-9]{2,5}"/ nocase
        $user = /"user"\s*:\s*"[0-9A-Za-z]{40,120}/
        $algo = /"(algo|coin)"\s*:\s*"(rx\/0|rx\/wow|cn\/[a-z0-9]{1,10}|randomx|monero|xmr|argon2\/[a-z]{1,12}|kawpow|ghostrider)"/ nocase
        $donate = "\"donate-level\"" ascii
        $randomx = "\"randomx\"" ascii
    condition:
        $pools and $url and ($user or $algo) and ($donate or $randomx or $algo) and filesize < 1MB
}

rule miner_stratum_launcher
{
    meta:
        description = "a command line starting a miner against a stratum pool"
        severity = "high"
        category = "cryptominer"
    strings:
        $stratum = /stratum\+(tcp|ssl|tls):\/\/[a-z0-9.\-]{1,200}:[0-9]{2,5}/ nocase
        $flag_user = /\s(-u|--user)\s+[0-9A-Za-z]{40,120}/
        $flag_algo = /\s(-a|--algo)\s+(rx\/0|cn\/|randomx|cryptonight)/ nocase
        $name = /\b(xmrig|xmr-stak|cpuminer|minerd|kdevtmpfsi|kinsing)\b/ nocase
    condition:
        $stratum and ($flag_user or $flag_algo or $name) and filesize < 5MB
}
