@{
    RootModule           = 'PodShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6c1f4f3e-2b7a-4d4e-9a5e-0f2d6a1c8b35'
    Author               = 'PodShell developers'
    Copyright            = '(c) PodShell developers. MIT License.'
    Description          = 'A daemonless container engine for Linux, native to the PowerShell pipeline: namespaces, cgroups and overlay layers as objects.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    # The engine assembly must be loaded before the types file is read: it names engine enums as
    # deserialization targets, so State and Kind come back from Import-Clixml as enums, not numbers.
    RequiredAssemblies   = @('PodShell.Engine.dll')
    FormatsToProcess     = @('PodShell.format.ps1xml', 'PodShell.Host.format.ps1xml')
    TypesToProcess       = @('PodShell.types.ps1xml')
    CmdletsToExport      = @(
        'Import-ContainerImage', 'Export-ContainerImage', 'Get-ContainerImage', 'Remove-ContainerImage', 'Add-ContainerImageTag', 'Clear-ContainerImage',
        'Request-ContainerImage', 'Publish-ContainerImage',
        'New-Container', 'Invoke-Container', 'Start-Container', 'Stop-Container', 'Remove-Container', 'Wait-Container', 'Get-Container',
        'Restart-Container', 'Send-ContainerSignal', 'Suspend-Container', 'Resume-Container',
        'New-ContainerVolume', 'Get-ContainerVolume', 'Remove-ContainerVolume',
        'New-ContainerNetwork', 'Get-ContainerNetwork', 'Remove-ContainerNetwork', 'Connect-ContainerNetwork', 'Disconnect-ContainerNetwork',
        'Invoke-ContainerCommand', 'Enter-Container', 'Get-ContainerLog',
        'Get-ContainerNamespace', 'Get-ContainerCgroup', 'Get-OverlayLayer',
        'Get-ContainerStats', 'Get-ContainerProcess', 'Set-ContainerResource', 'Get-ContainerChange',
        'New-ContainerImage', 'Export-Container', 'Copy-ContainerItem', 'Get-ContainerStorageUsage',
        'Test-ContainerHost'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @('Run-Container', 'Pull-ContainerImage', 'Push-ContainerImage', 'Tag-ContainerImage', 'Prune-ContainerImage', 'Kill-Container', 'Pause-Container', 'Unpause-Container')
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Linux', 'Containers', 'Podman', 'cgroups', 'namespaces', 'overlayfs', 'PSEdition_Core')
            # The repository: the build makes each cmdlet's online help (Get-Help -Online) <ProjectUri>/blob/main/docs/<cmdlet>.md
            # from this one value (build/New-MamlHelp.ps1), and the package (build.ps1 Package) names it.
            ProjectUri = 'https://github.com/podshell/podshell'
        }
    }
}
