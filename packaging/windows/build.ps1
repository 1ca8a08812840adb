# Builds the shipped exe (the `dist` profile) and packs it for Windows lab PCs into target\package\:
#   netassist-<version>-windows-x64.zip          portable: unzip anywhere and double-click netassist.exe
#   netassist-<version>-windows-x64-setup.exe    with -Installer: per-user installer (Inno Setup 6)
# Usage, in PowerShell from any folder:  packaging\windows\build.ps1 [-Installer]
param([switch]$Installer)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..\..')
Set-Location $root

cargo build --profile dist --locked
if ($LASTEXITCODE -ne 0) { throw 'cargo build --profile dist failed' }

$version = (cargo metadata --no-deps --format-version 1 --locked | ConvertFrom-Json).packages |
    Where-Object { $_.name -eq 'netassist' } | ForEach-Object { $_.version }
$name = "netassist-$version-windows-x64"
$dist = Join-Path $root 'target\package'
$stage = Join-Path $dist $name
if (Test-Path $stage) { Remove-Item -Recurse -Force $stage }
New-Item -ItemType Directory -Force $stage | Out-Null

Copy-Item 'target\dist\netassist.exe', 'README.md' $stage
# Example presets, when the repository has any (the folder may be missing).
$presets = @(Get-ChildItem -Path 'assets\presets' -Filter '*.ron' -File -ErrorAction SilentlyContinue)
if ($presets.Count -gt 0) {
    New-Item -ItemType Directory -Force (Join-Path $stage 'presets') | Out-Null
    $presets | Copy-Item -Destination (Join-Path $stage 'presets')
}
# The zip is the portable edition: this marker keeps the settings in netassist-settings.ron beside the
# exe, so a shared lab PC's user profile stays clean. Delete it to keep settings per user instead.
Set-Content -Path (Join-Path $stage 'portable') -Value 'Settings are kept beside netassist.exe while this file exists.'

$zip = Join-Path $dist "$name.zip"
if (Test-Path $zip) { Remove-Item -Force $zip }
Compress-Archive -Path (Join-Path $stage '*') -DestinationPath $zip
Write-Host "portable zip: $zip"

if ($Installer) {
    $iscc = Get-Command 'iscc.exe' -ErrorAction SilentlyContinue | ForEach-Object { $_.Source }
    if (-not $iscc) {
        $iscc = @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
                  "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe") | Where-Object { Test-Path $_ } |
            Select-Object -First 1
    }
    if (-not $iscc) { throw 'Inno Setup 6 is not installed (https://jrsoftware.org/isdl.php, or: choco install innosetup)' }
    & $iscc "/DAppVersion=$version" (Join-Path $PSScriptRoot 'netassist.iss')
    if ($LASTEXITCODE -ne 0) { throw 'the Inno Setup compiler failed' }
    Write-Host "installer: $(Join-Path $dist "$name-setup.exe")"
}
