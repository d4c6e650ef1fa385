// GET /v1/install.ps1: the Windows installer, served like install.sh. No secret inside: the
// enrollment key is the caller's, given on the command line. Kept as TypeScript text so that every
// bundle (the Lambda functions, the CLI, the tests) carries it without a loader; PowerShell's escape
// character (the backtick) and "${" never appear in it, so the template below is the script verbatim.

/** Where the serving watcher's URL goes (the default of -Endpoint). */
const ENDPOINT_MARK = '__HBW_SERVING_ENDPOINT__';

const SCRIPT = String.raw`#Requires -Version 5.1
<#
.SYNOPSIS
  Installs the heartbeat-watcher agent on Windows: registers this computer with an enrollment key,
  keeps the token where only SYSTEM and Administrators can read it, and runs a small PowerShell agent
  at startup as a scheduled task.
.EXAMPLE
  & ([scriptblock]::Create((Invoke-RestMethod https://WATCHER/v1/install.ps1))) -EnrollKey hbwk_... -Group production
#>
[CmdletBinding()]
param(
  [string]$EnrollKey,
  [string]$Endpoint = '__HBW_SERVING_ENDPOINT__',
  [string]$Id = $env:COMPUTERNAME,
  [string]$Group,
  [string[]]$Failover = @(),
  [string]$Prefix,
  [switch]$NoStart,
  [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'
$TaskName = 'hbw-agent'

$Created = $null
function Fail([string]$Message) {
  # A failure after registering removes what this run created: nothing is left half-installed.
  if ($script:Created -and (Test-Path -LiteralPath $script:Created)) { Remove-Item -LiteralPath $script:Created -Recurse -Force }
  [Console]::Error.WriteLine("hbw install: $Message")
  exit 1
}

$OnWindows = ($PSVersionTable.PSEdition -eq 'Desktop') -or $IsWindows
if ($Prefix) { $Root = Join-Path $Prefix 'ProgramData\hbw' }
elseif ($env:ProgramData) { $Root = Join-Path $env:ProgramData 'hbw' }
else { Fail 'ProgramData is not set: give -Prefix DIR' }
$TokenFile = Join-Path $Root 'token'
$ConfigFile = Join-Path $Root 'config.json'
$AgentFile = Join-Path $Root 'agent.ps1'
$TaskFile = Join-Path $Root 'hbw-agent.task.xml'
$StateDir = Join-Path $Root 'state'

if ($Uninstall) {
  if (-not $Prefix -and $OnWindows) {
    if (Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue) {
      Stop-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
      Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
    }
  }
  if (Test-Path -LiteralPath $Root) { Remove-Item -LiteralPath $Root -Recurse -Force }
  Write-Output "hbw install: removed the agent ($Root, task $TaskName)"
  exit 0
}

if (-not $Endpoint -or $Endpoint -like '__HBW_*') { Fail '-Endpoint URL is required' }
if ($Endpoint -notmatch '^https?://[^/]') { Fail "-Endpoint must be an http:// or https:// URL, not '$Endpoint'" }
$Endpoint = $Endpoint.TrimEnd('/')
foreach ($url in $Failover) {
  if ($url -notmatch '^https?://[^/]') { Fail "-Failover must be http:// or https:// URLs, not '$url'" }
}
if (-not $Id) { Fail '-Id ID is required (there is no computer name to default to)' }
$Id = $Id.ToLowerInvariant()
if ($Id -notmatch '^[a-z0-9._:-]{1,128}$') { Fail "-Id may hold 1 to 128 of a-z 0-9 . _ : - (not '$Id')" }

# Register first, before anything is written: a wrong key leaves nothing behind. A rerun keeps the token.
if (Test-Path -LiteralPath $TokenFile) {
  $token = (Get-Content -LiteralPath $TokenFile -Raw).Trim()
  Write-Output "hbw install: keeping the token of $Id in $TokenFile"
} else {
  if (-not $EnrollKey) { Fail '-EnrollKey hbwk_... is required (the group enrollment key: hbw enroll-key GROUP)' }
  if (-not $Group) { Fail '-Group NAME is required (the group the enrollment key is for)' }
  $body = @{ agentId = $Id; group = $Group } | ConvertTo-Json -Compress
  try {
    $answer = Invoke-RestMethod -Method Post -Uri "$Endpoint/v1/register" -ContentType 'application/json' -Body $body -Headers @{ Authorization = "Bearer $EnrollKey" } -TimeoutSec 30
  } catch {
    $status = 0
    if ($_.Exception.Response) { $status = [int]$_.Exception.Response.StatusCode }
    $said = $_.ErrorDetails.Message
    if ($status -eq 401) { Fail "the watcher refused the enrollment key for group $Group (401): ask for a new one (hbw enroll-key $Group); nothing was installed" }
    if ($status -eq 409) { Fail "an agent $Id exists already (409): rotate its token (hbw agents rotate-token $Id) or pick another -Id; nothing was installed" }
    Fail "could not register $Id at $Endpoint ($status $said $($_.Exception.Message)); nothing was installed"
  }
  $token = $answer.token
  Write-Output "hbw install: registered $Id in group $Group ($($answer.approval))"
}

if (-not (Test-Path -LiteralPath $Root)) { $Created = $Root }
New-Item -ItemType Directory -Force -Path $Root, $StateDir | Out-Null
if (-not (Test-Path -LiteralPath $TokenFile)) {
  # The file is made empty and restricted first, then the token goes in: it is never readable by others.
  New-Item -ItemType File -Path $TokenFile | Out-Null
  if ($OnWindows) {
    # Only SYSTEM (S-1-5-18) and Administrators (S-1-5-32-544), inheritance removed.
    & icacls.exe $TokenFile /inheritance:r /grant:r '*S-1-5-18:F' '*S-1-5-32-544:F' | Out-Null
    if ($LASTEXITCODE -ne 0) { Fail "could not restrict $TokenFile to SYSTEM and Administrators (icacls $LASTEXITCODE)" }
  }
  Set-Content -LiteralPath $TokenFile -Value $token -NoNewline -Encoding ascii
}

$config = [ordered]@{ agentId = $Id; endpoints = @($Endpoint) + $Failover } | ConvertTo-Json -Compress
Set-Content -LiteralPath $ConfigFile -Value $config -Encoding ascii

$agent = @'
# The heartbeat-watcher agent for Windows, written by install.ps1: a heartbeat every interval the
# watcher answers, failover across the endpoints of config.json and back to the first.
param([string]$Root = $PSScriptRoot)
$ErrorActionPreference = 'Stop'
$config = Get-Content -LiteralPath (Join-Path $Root 'config.json') -Raw | ConvertFrom-Json
$endpoints = @($config.endpoints)
$tokenFile = Join-Path $Root 'token'
$seqFile = Join-Path $Root 'state\seq'
$bootFile = Join-Path $Root 'state\boot'
$os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction SilentlyContinue
if ($os) { $bootId = 'win-' + $os.LastBootUpTime.ToUniversalTime().ToString('yyyyMMddTHHmmss') }
else { $bootId = 'boot-' + [DateTime]::UtcNow.AddMilliseconds(-[Environment]::TickCount64).ToString('yyyyMMddTHHmm') }
$seq = 0
if ((Test-Path -LiteralPath $bootFile) -and ((Get-Content -LiteralPath $bootFile -Raw).Trim() -eq $bootId) -and (Test-Path -LiteralPath $seqFile)) {
  $seq = [long](Get-Content -LiteralPath $seqFile -Raw).Trim()
}
Set-Content -LiteralPath $bootFile -Value $bootId -NoNewline -Encoding ascii
$interval = 30
$active = 0
$lastFailback = [DateTime]::UtcNow

function Send-Heartbeat([int]$Index, $Goodbye) {
  $script:seq += 1
  Set-Content -LiteralPath $seqFile -Value $script:seq -NoNewline -Encoding ascii
  $url = $endpoints[$Index]
  $body = [ordered]@{ agentId = $config.agentId; seq = $script:seq; bootId = $bootId; sentAt = [DateTime]::UtcNow.ToString('o'); endpoint = $url; version = 'ps1' }
  if ($Goodbye) { $body.goodbye = $Goodbye }
  $token = (Get-Content -LiteralPath $tokenFile -Raw).Trim()
  $timeout = 10
  if ($Goodbye) { $timeout = 3 }
  Invoke-RestMethod -Method Post -Uri "$url/v1/heartbeat" -ContentType 'application/json' -Body ($body | ConvertTo-Json -Compress) -Headers @{ Authorization = "Bearer $token" } -TimeoutSec $timeout
}

try {
  while ($true) {
    $order = @($active) + @(0..($endpoints.Count - 1) | Where-Object { $_ -ne $active })
    if ($active -ne 0 -and ([DateTime]::UtcNow - $lastFailback).TotalSeconds -ge 60) {
      $order = @(0) + @($order | Where-Object { $_ -ne 0 })
      $lastFailback = [DateTime]::UtcNow
    }
    foreach ($index in $order) {
      try {
        $answer = Send-Heartbeat $index $null
        if ($index -ne $active) { Write-Output "hbw agent: heartbeats go to $($endpoints[$index]) now" }
        $active = $index
        if ($answer.heartbeatIntervalSeconds -ge 1) { $interval = [int]$answer.heartbeatIntervalSeconds }
        break
      } catch {
        Write-Warning "hbw agent: heartbeat to $($endpoints[$index]) failed: $($_.Exception.Message)"
      }
    }
    Start-Sleep -Seconds $interval
  }
} finally {
  # Stopped in a way PowerShell sees (the task ended, Ctrl-C): a goodbye of 10 minutes. A process
  # killed outright at shutdown gets no chance to say it.
  try { Send-Heartbeat $active @{ backInSeconds = 600; reason = 'the agent was stopped' } | Out-Null } catch { }
}
'@
Set-Content -LiteralPath $AgentFile -Value $agent -Encoding utf8

$shell = 'powershell.exe'
if ($PSVersionTable.PSEdition -eq 'Core') { $shell = 'pwsh.exe' }
$task = @"
<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>heartbeat-watcher agent</Description></RegistrationInfo>
  <Triggers><BootTrigger><Enabled>true</Enabled></BootTrigger></Triggers>
  <Principals><Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>
    <StartWhenAvailable>true</StartWhenAvailable>
  </Settings>
  <Actions Context="Author">
    <Exec><Command>$shell</Command><Arguments>-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "$AgentFile"</Arguments></Exec>
  </Actions>
</Task>
"@
Set-Content -LiteralPath $TaskFile -Value $task -Encoding unicode

if ($NoStart) {
  Write-Output "hbw install: installed under $Root; not started (-NoStart): register $TaskFile as task $TaskName to run it"
  exit 0
}
if (-not $OnWindows) { Fail 'scheduled tasks need Windows: use -NoStart' }
Register-ScheduledTask -TaskName $TaskName -Xml $task -Force | Out-Null
Start-ScheduledTask -TaskName $TaskName
Write-Output "hbw install: agent $Id installed and started (task $TaskName; token in $TokenFile)"
`;

/**
 * The installer as served from `endpoint` (the serving watcher's base URL), which becomes the
 * default of -Endpoint: quoted for PowerShell's single quotes, so no URL can end the string.
 */
export function installPs1(endpoint: string): string {
  return SCRIPT.replace(ENDPOINT_MARK, endpoint.replace(/'/g, "''"));
}
