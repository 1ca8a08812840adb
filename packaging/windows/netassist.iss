; Inno Setup (6.3 or later) script for the NetAssist installer. Build it with packaging\windows\build.ps1 -Installer,
; which passes the version:  ISCC /DAppVersion=0.1.0 netassist.iss
;
; It installs for the current user only (no administrator rights, as on locked-down lab PCs) into
; %LOCALAPPDATA%\Programs\NetAssist, with a Start-menu shortcut and an uninstaller. Settings stay per user
; in %APPDATA%\netassist\data\ and are left in place on uninstall.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=x.y.z netassist.iss
#endif

[Setup]
; The AppId identifies the app to Windows across versions, so an upgrade replaces the old install.
AppId={{DDF9D7ED-57F3-4B38-B966-5814DAC62AFE}
AppName=NetAssist
AppVersion={#AppVersion}
AppVerName=NetAssist {#AppVersion}
AppPublisher=NetAssist developers
DefaultDirName={autopf}\NetAssist
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
; Someone with admin rights may still choose an install for all users in the first dialog.
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Rust's x86_64-pc-windows-msvc target supports Windows 10 and later.
MinVersion=10.0
SetupIconFile=..\..\assets\icon.ico
UninstallDisplayIcon={app}\netassist.exe
OutputDir=..\..\target\package
OutputBaseFilename=netassist-{#AppVersion}-windows-x64-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\target\dist\netassist.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\..\README.md"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\..\assets\presets\*.ron"; DestDir: "{app}\presets"; Flags: ignoreversion skipifsourcedoesntexist

[Icons]
Name: "{autoprograms}\NetAssist"; Filename: "{app}\netassist.exe"
Name: "{autodesktop}\NetAssist"; Filename: "{app}\netassist.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\netassist.exe"; Description: "{cm:LaunchProgram,NetAssist}"; Flags: nowait postinstall skipifsilent
