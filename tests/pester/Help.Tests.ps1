# Every exported cmdlet has written help: a synopsis, a description, an example with code and remarks,
# and a description for every parameter whose Required flag matches the code.
# Modelled on dataplat/dbatools tests/InModule.Help.Tests.ps1. Help is cached per session: run this in a
# fresh pwsh after build/New-MamlHelp.ps1 has written module/PodShell/en-US/PodShell.dll-Help.xml.

BeforeDiscovery {
    if (-not (Get-Module PodShell)) {
        Import-Module "$PSScriptRoot/../../module/PodShell/PodShell.psd1" -Force -ErrorAction Stop
    }
    $common = [System.Management.Automation.Cmdlet]::CommonParameters

    $cmdlets = @(Get-Command -Module PodShell -CommandType Cmdlet | Sort-Object Name | ForEach-Object {
            $cmd = $_
            @{
                Name       = $cmd.Name
                # Mandatory in any parameter set: the rule build/New-MamlHelp.ps1 uses for the PARAMETERS
                # section (the syntax shows the per-set truth).
                Parameters = @($cmd.Parameters.Values | Where-Object Name -NotIn $common | ForEach-Object {
                        @{
                            CommandName = $cmd.Name
                            Parameter   = $_.Name
                            IsMandatory = [bool]($_.ParameterSets.Values | Where-Object IsMandatory)
                        }
                    })
            }
        })
}

Describe 'Help for <Name>' -ForEach $cmdlets -AllowNullOrEmptyForEach {
    BeforeAll {
        $help = Get-Help $Name -Full -ErrorAction Stop
    }

    It 'comes from the MAML help file' {
        $help.PSObject.TypeNames | Should -Contain 'MamlCommandHelpInfo'
    }

    It 'has a written synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without help, Get-Help makes the synopsis from the syntax line.
        $help.Synopsis | Should -Not -BeLike '*`[`<CommonParameters`>`]*'
    }

    It 'has a description' {
        (@($help.Description | ForEach-Object Text) -join '').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has an example with code and remarks' {
        $complete = @($help.Examples.Example | Where-Object {
                -not [string]::IsNullOrWhiteSpace($_.Code) -and
                -not [string]::IsNullOrWhiteSpace((@($_.Remarks | ForEach-Object Text) -join ''))
            })
        $complete.Count | Should -BeGreaterThan 0 -Because 'an example needs both the command line and what it does'
    }

    Context 'Parameter -<Parameter>' -ForEach $Parameters -AllowNullOrEmptyForEach {
        BeforeAll {
            $parameterHelp = $help.Parameters.Parameter | Where-Object Name -EQ $Parameter
        }

        It 'is in the help' {
            $parameterHelp | Should -Not -BeNullOrEmpty
        }

        It 'has a description' {
            (@($parameterHelp.Description | ForEach-Object Text) -join '').Trim() | Should -Not -BeNullOrEmpty -Because "-$Parameter of $CommandName needs a description in docs/$CommandName.md"
        }

        It 'has Required matching the code' {
            $parameterHelp.Required | Should -Be $IsMandatory.ToString().ToLowerInvariant()
        }
    }
}
